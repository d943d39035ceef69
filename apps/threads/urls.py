from django.urls import path

from apps.threads import views

urlpatterns = [
    path("threads", views.ThreadCreateView.as_view()),
    path("threads/search", views.ThreadSearchView.as_view()),
    path("threads/count", views.ThreadCountView.as_view()),
    path("threads/prune", views.ThreadPruneView.as_view()),
    path("threads/<str:thread_id>", views.ThreadDetailView.as_view()),
    path("threads/<str:thread_id>/state", views.ThreadStateView.as_view()),
    path("threads/<str:thread_id>/state/checkpoint", views.ThreadStateCheckpointView.as_view()),
    path("threads/<str:thread_id>/state/<str:checkpoint_id>", views.ThreadStateAtCheckpointView.as_view()),
    path("threads/<str:thread_id>/copy", views.ThreadCopyView.as_view()),
    path("threads/<str:thread_id>/storage", views.ThreadStorageView.as_view()),
    path("threads/<str:thread_id>/history", views.ThreadHistoryView.as_view()),
]
