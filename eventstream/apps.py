from django.apps import AppConfig


class EventstreamConfig(AppConfig):
    name = "eventstream"
    verbose_name = "Event stream"

    def ready(self):
        from eventstream import receivers

        receivers.connect()
