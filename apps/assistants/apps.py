from django.apps import AppConfig


class AssistantsConfig(AppConfig):
    name = "apps.assistants"
    label = "assistants"
