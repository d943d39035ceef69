from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The operators' admin console: the dashboard and the pictures on the admin pages."""

    name = "apps.console"
    label = "console"

    def ready(self) -> None:
        from django.contrib import admin

        admin.site.index_template = "admin/console/index.html"
        admin.site.site_header = "Agent Server"
        admin.site.site_title = "Agent Server"
