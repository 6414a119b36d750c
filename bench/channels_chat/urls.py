from django.urls import path

from bench.channels_chat.views import message_create

urlpatterns = [path("rooms/<int:room_id>/messages", message_create)]
