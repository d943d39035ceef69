from django.urls import path

from apps.runs import views

urlpatterns = [
    path("threads/<str:thread_id>/stream", views.ThreadStreamView.as_view()),
    path("threads/<str:thread_id>/stream/events", views.ThreadEventsView.as_view()),
    path("threads/<str:thread_id>/commands", views.ThreadCommandsView.as_view()),
    path("threads/<str:thread_id>/runs", views.ThreadRunsView.as_view()),
    path("threads/<str:thread_id>/runs/stream", views.RunStreamView.as_view()),
    path("threads/<str:thread_id>/runs/wait", views.RunWaitView.as_view()),
    path("threads/<str:thread_id>/runs/<str:run_id>", views.RunDetailView.as_view()),
    path("threads/<str:thread_id>/runs/<str:run_id>/join", views.RunJoinView.as_view()),
    path("threads/<str:thread_id>/runs/<str:run_id>/stream", views.RunJoinStreamView.as_view()),
    path("threads/<str:thread_id>/runs/<str:run_id>/cancel", views.RunCancelView.as_view()),
    path("runs", views.RunCreateView.as_view()),
    path("runs/batch", views.RunBatchView.as_view()),
    path("runs/cancel", views.RunsBulkCancelView.as_view()),
    path("runs/search", views.RunSearchView.as_view()),
    path("runs/stream", views.RunStreamView.as_view()),
    path("runs/wait", views.RunWaitView.as_view()),
]
