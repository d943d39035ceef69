from django.urls import path

from apps.assistants import views

urlpatterns = [
    path("assistants", views.AssistantCreateView.as_view()),
    path("assistants/search", views.AssistantSearchView.as_view()),
    path("assistants/count", views.AssistantCountView.as_view()),
    path("assistants/<str:assistant_id>", views.AssistantDetailView.as_view()),
    path("assistants/<str:assistant_id>/graph", views.AssistantGraphView.as_view()),
    path("assistants/<str:assistant_id>/schemas", views.AssistantSchemasView.as_view()),
    path("assistants/<str:assistant_id>/subgraphs", views.AssistantSubgraphsView.as_view()),
    path("assistants/<str:assistant_id>/subgraphs/<str:namespace>", views.AssistantSubgraphsView.as_view()),
    path("assistants/<str:assistant_id>/versions", views.AssistantVersionsView.as_view()),
    path("assistants/<str:assistant_id>/latest", views.AssistantLatestView.as_view()),
]
