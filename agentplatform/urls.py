from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

from apps.core.handlers import not_found
from apps.core.views import InfoView, OkView
from apps.runs.views import MetricsView

# settings.INSTALLED_APPS uses SimpleAdminConfig: the admin registers its models here, in
# processes that route requests, not in every process that sets Django up.
admin.autodiscover()

urlpatterns = [
    path("ok", OkView.as_view()),
    path("info", InfoView.as_view()),
    path("metrics", MetricsView.as_view()),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("docs", SpectacularSwaggerView.as_view(url_name="openapi"), name="docs"),
    path("", include("apps.console.urls")),  # the dashboard, before the admin's catch-all
    path("admin/", admin.site.urls),
    path("", include("apps.mcp.urls")),
    path("", include("apps.a2a.urls")),
    path("", include("apps.assistants.urls")),
    path("", include("apps.threads.urls")),
    # Before the runs routes: `threads/<id>/runs/crons` would otherwise match `runs/<run_id>`.
    path("", include("apps.crons.urls")),
    path("", include("apps.runs.urls")),
    path("", include("apps.store.urls")),
    # Last: any other path is a JSON 404 even under DEBUG (whose 404 page lists every route).
    re_path(r"", not_found),
]

handler404 = "apps.core.handlers.not_found"
handler500 = "apps.core.handlers.server_error"
