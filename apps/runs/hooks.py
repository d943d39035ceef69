"""What the runs app announces to the apps that react to it (Django signals).

Subscribers connect in their AppConfig.ready(): crons count their runs'
outcomes, webhooks post finished runs. So `runs` imports neither.
"""

from django.dispatch import Signal

# A run reached a terminal status, recorded once (by the worker, the sweeper, or a
# cancel of a run that never started). Sent after the write, inside the writer's
# transaction if any: receivers defer side effects with transaction.on_commit.
# kwargs: run (the Run as claimed or read; `status` is not refreshed), status (RunStatus),
# values (the thread's values after the run), error (dict or None).
run_finished = Signal()
