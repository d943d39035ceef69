from django.apps import AppConfig


class DevServerConfig(AppConfig):
    """The development supervisor (`manage.py dev`), embedded PostgreSQL/Redis and `manage.py build`."""

    name = "apps.devserver"
    label = "devserver"
