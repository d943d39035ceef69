from django.urls import path

from apps.a2a import views

urlpatterns = [
    # `assistant`, not `assistant_id`: a malformed id is a JSON-RPC error here (as upstream), not the API's 422.
    path("a2a/<str:assistant>", views.A2aView.as_view()),
    path(".well-known/agent-card.json", views.AgentCardView.as_view()),
]
