"""Writes of messages: send, edit, delete, delivered, seen (spec §5.5, §9).

One body per message (``Message.body``), not Spika's copy per device. "Delete for me" is a
``HiddenMessage`` row for that user. Events leave from ``eventstream`` through model signals
(NEW_MESSAGE, UPDATE_MESSAGE, reactions) and chat's custom signals (bulk writes, SEEN_ROOM);
nothing here publishes.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import Device, User
from chat.models import File, HiddenMessage, Message, MessageRecord, Room, RoomUser
from chat.schemas.messages import (
    DELETED_BODY,
    MEDIA_TYPES,
    USER_TYPES,
    MessageOut,
    message_data,
)
from chat.selectors_messages import (
    files_of,
    message_of_member,
    messages_as_seen_by,
    messages_of_member,
    private_room_blocked_by,
)
from chat.services.records import DELIVERED, SEEN, records_mark
from chat.signals import messages_bulk_changed, room_seen
from spika.errors import ApiError
from spika.schemas import MAX_DB_ID


def _file_exists(value) -> bool:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_DB_ID:
        return False
    return File.objects.filter(id=value).exists()


def _reference(*, user: User, reply_id: int) -> dict:
    """The quoted message as Spika stores it in a reply's body (sanitized, body formatted).

    Only a message the replier can see in one of their rooms (the spec README, rule 8).
    """
    quoted = message_of_member(user_id=user.id, message_id=reply_id)
    if quoted is None:
        raise ApiError(400, "there is no message with replyId")
    data = message_data(quoted, files=files_of([quoted]))
    return MessageOut(**data).model_dump(mode="json", by_alias=True)


def _checked_body(*, user: User, type: str, body: dict, reply_id: int | None) -> dict:
    """The body to store, after Spika's type and body rules (§5.5.1 step 5)."""
    if type not in USER_TYPES:
        raise ApiError(400, "Invalid type")
    body = {key: value for key, value in body.items() if key != "referenceMessage"}
    if type in MEDIA_TYPES:
        if not body.get("fileId"):
            raise ApiError(400, "fileId is missing")
        if not _file_exists(body["fileId"]):
            raise ApiError(400, "Invalid fileId")
        if body.get("thumbId") and not _file_exists(body["thumbId"]):
            raise ApiError(400, "Invalid thumbId")
        return body
    if reply_id:
        reference = _reference(user=user, reply_id=reply_id)
        _require_text(body)
        return {**body, "referenceMessage": reference}
    _require_text(body)
    return body


def _require_text(body: dict) -> None:
    if not isinstance(body.get("text"), str) or not body["text"]:
        raise ApiError(400, "Text is missing")


@transaction.atomic
def message_send(
    *,
    user: User,
    device: Device,
    room_id: int,
    type: str,
    body: dict,
    local_id: str | None = None,
    reply_id: int | None = None,
    has_link: bool = False,
) -> Message:
    """Store a member's message; the sender's own delivered and seen records come with it.

    NEW_MESSAGE goes to every member (minus blockers of the sender in a private room) from the
    Message's post_save; the two records' NEW_MESSAGE_RECORD from ``records_mark``.
    """
    membership = RoomUser.objects.select_related("room").filter(room_id=room_id, user=user).first()
    if membership is None:
        raise ApiError(400, "Chat user not found")
    room = membership.room
    if room.deleted:
        raise ApiError(403, "Chat is deleted")
    body = _checked_body(user=user, type=type, body=body, reply_id=reply_id)
    message = Message.objects.create(
        room=room,
        from_user=user,
        from_device=device,
        type=type,
        body=body,
        local_id=local_id,
        reply_id=reply_id or None,
        has_link=has_link,
        total_user_count=RoomUser.objects.filter(room=room).count(),
    )
    records_mark(user_id=user.id, message_ids=[message.id], types=(DELIVERED, SEEN))
    message.refresh_from_db(fields=["delivered_count", "seen_count"])
    return message


@transaction.atomic
def message_edit(
    *, user: User, message_id: int | None, text, thumbnail_data=None, has_link: bool | None = None
) -> Message:
    """Replace the text (and link preview) of the caller's own text message (§5.5.2)."""
    if not isinstance(text, str) or not text:
        raise ApiError(400, "Text is required")
    message = Message.objects.select_related("room").filter(id=message_id, deleted=False).first()
    if message is None:
        raise ApiError(404, "Not found")
    if message.from_user_id != user.id:
        raise ApiError(403, "User can't edit messages that he is not owner")
    if message.type != Message.Type.TEXT:
        raise ApiError(400, "Only messages with type text can be edited")
    if message.is_forwarded:
        raise ApiError(400, "Forwarded messages can't be edited")
    if private_room_blocked_by(user_id=user.id, room=message.room):
        raise ApiError(403, "Room is blocked")
    message.body = {**message.body, "text": text, "thumbnailData": thumbnail_data}
    if has_link is not None:
        message.has_link = has_link
    message.save(update_fields=["body", "has_link", "modified_at"])
    return messages_as_seen_by(user_id=user.id).get(id=message.id)


DELETE_TARGETS = ("all", "user")


def delete_target(value: str | None) -> str:
    target = (value or "").lower()
    if target not in DELETE_TARGETS:
        raise ApiError(400, "Invalid target query param")
    return target


@transaction.atomic
def messages_delete(*, user: User, message_ids: list[int | None], target: str) -> list[Message]:
    """Delete messages for everyone (``all``, the sender only) or for the caller (``user``).

    Every id is checked before anything changes (Spika stops half way; Appendix C #12).
    Deleted for everyone, the row keeps no content: Spika's "Deleted message" body, type text.
    Returns the messages as the caller now sees them.
    """
    target = delete_target(target)
    wanted = [i for i in message_ids if i is not None]
    found = (
        Message.objects.select_for_update(no_key=True).filter(id__in=wanted).order_by("id")
        if target == "all"
        else Message.objects.filter(id__in=wanted)
    )
    messages = {m.id: m for m in found}
    rooms = set(
        RoomUser.objects.filter(
            user=user, room_id__in={m.room_id for m in messages.values()}
        ).values_list("room_id", flat=True)
    )
    for message_id in message_ids:
        message = messages.get(message_id)
        if message is None:
            raise ApiError(404, "Not found")
        if target == "all" and message.from_user_id != user.id:
            raise ApiError(403, "User can't delete another users message")
        if message.room_id not in rooms:
            raise ApiError(403, "User can't delete messages from room that he is not in")
    ids = sorted(messages)
    if target == "all":
        messages_delete_for_everyone(message_ids=ids)
    else:
        for message_id in ids:
            # One by one, so that each hiding reaches the caller's devices (post_save).
            HiddenMessage.objects.get_or_create(user=user, message_id=message_id)
    now_seen = messages_as_seen_by(user_id=user.id).in_bulk(ids)
    return [now_seen[i] for i in dict.fromkeys(wanted)]


def messages_delete_for_everyone(*, message_ids: list[int]) -> None:
    """The rows keep no content: Spika's "Deleted message" body, type text. No check of who
    may: callers decide (the sender through the API, an operator in the admin).

    One UPDATE; bulk writes fire no model signals, so ``messages_bulk_changed`` tells the members.
    """
    Message.objects.filter(id__in=message_ids).update(
        deleted=True, type=Message.Type.TEXT, body=DELETED_BODY, modified_at=timezone.now()
    )
    messages_bulk_changed.send(sender=Message, message_ids=list(message_ids))


def messages_mark_delivered(*, user: User, message_ids: list[int]) -> None:
    """The caller's devices received these messages (§5.5.14)."""
    rooms_of = dict(Message.objects.filter(id__in=message_ids).values_list("id", "room_id"))
    if not rooms_of:
        raise ApiError(400, "No messages with given ids found")
    missing = [str(i) for i in dict.fromkeys(message_ids) if i not in rooms_of]
    if missing:
        raise ApiError(400, f"Messages with ids: {','.join(missing)} not found")
    rooms = set(rooms_of.values())
    if RoomUser.objects.filter(user=user, room_id__in=rooms).count() != len(rooms):
        raise ApiError(400, "One or more message is from room that user is not part of")
    visible = messages_of_member(user_id=user.id).filter(id__in=message_ids)
    records_mark(
        user_id=user.id, message_ids=visible.values_list("id", flat=True), types=(DELIVERED,)
    )


def messages_shown(*, user: User, messages: list[Message]) -> None:
    """A page of history reached the caller: what was not yet delivered to them now is
    (Spika does this after answering ``GET /messages/roomId/:roomId``)."""
    records_mark(user_id=user.id, message_ids=[m.id for m in messages], types=(DELIVERED,))


@transaction.atomic
def room_mark_seen(*, user: User, room_id: int | None) -> None:
    """The caller read the room: every message they can see there gets their seen record, and
    a delivered one where it lacks it (§5.5.15). SEEN_ROOM goes to the caller's devices.
    """
    membership = RoomUser.objects.filter(user=user, room_id=room_id).first()
    if membership is None:
        raise ApiError(400, "user is not in this room")
    unmarked = Message.objects.filter(
        room_id=membership.room_id, created_at__gt=membership.created_at
    ).exclude(id__in=_marked_by(user.id, SEEN).filter(message__room_id=membership.room_id))
    records_mark(
        user_id=user.id, message_ids=unmarked.values_list("id", flat=True), types=(DELIVERED, SEEN)
    )
    room_seen.send(sender=Room, user_id=user.id, room_id=membership.room_id)


def _marked_by(user_id: int, record_type: str):
    return MessageRecord.objects.filter(user_id=user_id, type=record_type).values("message_id")
