from django.apps import AppConfig


class EventstreamConfig(AppConfig):
    name = "eventstream"
    verbose_name = "Event stream"
