from django.apps import AppConfig


class A2aConfig(AppConfig):
    name = "apps.a2a"
    label = "a2a"
