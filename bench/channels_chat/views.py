import json

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.channels_chat.consumers import room_group
from bench.channels_chat.models import Member, Message


@csrf_exempt
@require_POST
def message_create(request, room_id: int):
    """Store the message, then send it to every socket of the room through the channel layer."""
    member = Member.objects.filter(token=request.headers.get("accesstoken", "")).first()
    if member is None or member.room_id != room_id:
        return JsonResponse({"error": "forbidden"}, status=403)
    text = json.loads(request.body)["text"]
    message = Message.objects.create(room_id=room_id, from_member=member, text=text)
    payload = {"id": message.id, "roomId": room_id, "fromId": member.id, "text": text}
    async_to_sync(get_channel_layer().group_send)(
        room_group(room_id), {"type": "chat.message", "message": payload}
    )
    return JsonResponse({"message": payload})
