from django.urls import path

from apps.mcp import views

urlpatterns = [
    path("mcp/", views.McpView.as_view()),
    path("mcp", views.McpView.as_view()),
]
