from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat"

    def ready(self):
        from accounts.signals import user_deleted
        from chat import receivers

        user_deleted.connect(receivers.on_user_deleted, dispatch_uid="chat.on_user_deleted")
