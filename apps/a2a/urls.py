from django.urls import path

from apps.a2a import views

urlpatterns = [
    path("a2a/<str:assistant_id>", views.A2aView.as_view()),
    path(".well-known/agent-card.json", views.AgentCardView.as_view()),
]
