from django.apps import AppConfig


class CronsConfig(AppConfig):
    name = "apps.crons"
    label = "crons"
