from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from apps.runs.overview import build_overview

admin.site.index_template = "admin/agent_index.html"
admin.site.site_header = "Agent Server"
admin.site.site_title = "Agent Server"


def dashboard(request: HttpRequest) -> HttpResponse:
    overview = build_overview()
    by_status = [(status, overview.last_hour[status], overview.last_day[status]) for status in overview.last_hour]
    context = {**admin.site.each_context(request), "overview": overview, "by_status": by_status, "title": "Dashboard"}
    return TemplateResponse(request, "admin/dashboard.html", context)
