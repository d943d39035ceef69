from django.contrib import admin
from django.urls import path

from apps.console.dashboard import dashboard, dashboard_charts

urlpatterns = [
    path("admin/dashboard/", admin.site.admin_view(dashboard), name="admin-dashboard"),
    path("admin/dashboard/charts/", admin.site.admin_view(dashboard_charts), name="admin-dashboard-charts"),
]
