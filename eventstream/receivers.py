"""Model changes become events: filter, recipients, payload, publish (events.md §4).

Connected in ``EventstreamConfig.ready()`` so that every write path (REST, admin, shell,
management commands) produces the same events. Payloads are built here, while the rows
exist; ``publish`` sends them after the commit. Room events are coalesced per transaction
(``eventstream.rooms``). A cascade that starts at a Room row sends only DELETE_ROOM: its
members, messages and records go with it, and their own events would reach nobody useful.
"""

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from accounts.models import User, UserSetting
from chat.models import HiddenMessage, Message, MessageRecord, Room, RoomUser
from chat.selectors import (
    flag_of_setting,
    message_record_counts,
    room_member_ids,
    room_member_ids_excluding_blockers,
    user_audience_ids,
)
from chat.selectors_messages import files_of
from chat.signals import messages_bulk_changed, records_bulk_created, room_seen
from eventstream import changes, payloads, rooms
from eventstream.publish import publish

MESSAGE_FIELDS = ("body", "deleted")
RECORD_FIELDS = ("type", "reaction", "is_deleted")
ROOM_FIELDS = ("type", "name", "avatar_file_id", "deleted")
MEMBERSHIP_FIELDS = ("is_admin",)
SETTING_FIELDS = ("key", "value")
# The profile others see (and refetch on USER_UPDATE); not sign-in or staff bookkeeping.
PROFILE_FIELDS = (
    "telephone_number",
    "email_address",
    "display_name",
    "avatar_file_id",
    "cover_file_id",
    "short_description",
    "long_description",
    "deleted",
)
TRACKED = {
    Message: MESSAGE_FIELDS,
    MessageRecord: RECORD_FIELDS,
    Room: ROOM_FIELDS,
    RoomUser: MEMBERSHIP_FIELDS,
    UserSetting: SETTING_FIELDS,
    User: PROFILE_FIELDS,
}


def remember_before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if not raw:
        changes.remember(instance, TRACKED[sender], update_fields)


def _in_room_cascade(origin) -> bool:
    """Whether a delete started at a Room row (or a queryset of rooms)."""
    return isinstance(origin, Room) or getattr(origin, "model", None) is Room


# Messages


def message_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        recipients = room_member_ids_excluding_blockers(
            room_id=instance.room_id, room_type=instance.room.type, author_id=instance.from_user_id
        )
        payload = payloads.new_message(instance, files=files_of([instance]))
        publish((user_id, payload) for user_id in recipients)
        return
    changed = changes.changed(instance, MESSAGE_FIELDS)
    if "deleted" in changed and instance.deleted:
        payload = payloads.delete_message(instance)
    elif "body" in changed and not instance.deleted:
        payload = payloads.update_message(instance, files=files_of([instance]))
    else:
        return
    publish((user_id, payload) for user_id in room_member_ids(room_id=instance.room_id))


def message_deleted(sender, instance, origin=None, **kwargs):
    if _in_room_cascade(origin):
        return
    payload = payloads.delete_message(instance)
    publish((user_id, payload) for user_id in room_member_ids(room_id=instance.room_id))


def message_hidden(sender, instance, created, raw=False, **kwargs):
    """Deleted "for me": that user's devices alone drop it (Spika's ``target=user``)."""
    if created and not raw:
        publish([(instance.user_id, payloads.delete_message(instance.message))])


# Message records


def _record_deliveries(record, *, deleted: bool) -> list[tuple[int, dict]]:
    """NEW_ or DELETE_MESSAGE_RECORD of one record (its message may already be gone)."""
    message = Message.objects.select_related("room").filter(pk=record.message_id).first()
    if message is None:
        return []
    return _records_deliveries([record], {message.pk: message}, deleted=deleted)


def _records_deliveries(records, messages, *, deleted: bool) -> list[tuple[int, dict]]:
    """NEW_ or DELETE_MESSAGE_RECORD of each record, with its message's counts as they are now.

    ``messages`` maps message ids to messages loaded with their room. Queries grow with the
    rooms and authors involved, not with the records.
    """
    counts = message_record_counts(message_ids=list(messages))
    recipients = {}
    deliveries = []
    for record in records:
        message = messages[record.message_id]
        seen, delivered = counts[message.pk]["seen"], counts[message.pk]["delivered"]
        view = payloads.MessageCounts(seen, delivered, message.total_user_count)
        build = payloads.delete_message_record if deleted else payloads.new_message_record
        payload = build(record, room_id=message.room_id, counts=view)
        key = (message.room_id, None if deleted else record.user_id)
        if key not in recipients:
            recipients[key] = _record_recipients(message, record, deleted=deleted)
        deliveries.extend((user_id, payload) for user_id in recipients[key])
    return deliveries


def _record_recipients(message, record, *, deleted: bool) -> list[int]:
    if deleted:
        # Taking something back reaches every member (events.md §4): nothing new leaks.
        return room_member_ids(room_id=message.room_id)
    return room_member_ids_excluding_blockers(
        room_id=message.room_id, room_type=message.room.type, author_id=record.user_id
    )


def record_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    changed = set(RECORD_FIELDS) if created else changes.changed(instance, RECORD_FIELDS)
    if not changed:
        return
    if instance.is_deleted:
        if "is_deleted" in changed:
            publish(_record_deliveries(instance, deleted=True))
        return
    publish(_record_deliveries(instance, deleted=False))


def record_deleted(sender, instance, origin=None, **kwargs):
    if not _in_room_cascade(origin):
        publish(_record_deliveries(instance, deleted=True))


# Rooms


def room_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        rooms.room_created(instance.pk)
        return
    changed = changes.changed(instance, ROOM_FIELDS)
    if "deleted" in changed and instance.deleted:
        publish(rooms.room_deliveries(payloads.DELETE_ROOM, instance))
    elif changed:
        rooms.room_changed(instance.pk)


def room_will_be_deleted(sender, instance, **kwargs):
    """DELETE_ROOM is built before the delete: the members' rows go first, with the room."""
    instance._eventstream_deliveries = rooms.room_deliveries(payloads.DELETE_ROOM, instance)


def room_deleted(sender, instance, **kwargs):
    publish(getattr(instance, "_eventstream_deliveries", ()))


def membership_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created or changes.changed(instance, MEMBERSHIP_FIELDS):
        rooms.room_changed(instance.room_id)


def membership_deleted(sender, instance, origin=None, **kwargs):
    if _in_room_cascade(origin):
        return
    publish([(instance.user_id, payloads.removed_from_room(instance.room_id))])
    rooms.room_changed(instance.room_id)


# Users and their settings


def _flag_room_id(key: str) -> int | None:
    """The room id of a mute or pin setting, else None."""
    flag = flag_of_setting(key)
    return flag[1] if flag else None


def setting_saved(sender, instance, created, raw=False, **kwargs):
    room_id = _flag_room_id(instance.key)
    if raw or room_id is None:
        return
    if created or changes.changed(instance, SETTING_FIELDS):
        rooms.room_flags_changed(room_id, instance.user_id)


def setting_deleted(sender, instance, **kwargs):
    room_id = _flag_room_id(instance.key)
    if room_id is not None:
        rooms.room_flags_changed(room_id, instance.user_id)


def user_saved(sender, instance, created, raw=False, **kwargs):
    if raw or created or not changes.changed(instance, PROFILE_FIELDS):
        return
    payload = payloads.user_update(instance)
    publish((user_id, payload) for user_id in user_audience_ids(user_id=instance.pk))


# chat's own signals, for writes that fire no model signals


def seen(sender, *, user_id, room_id, **kwargs):
    publish([(user_id, payloads.seen_room(room_id))])


def messages_changed_in_bulk(sender, *, message_ids, **kwargs):
    deliveries, members = [], {}
    messages = list(Message.objects.filter(pk__in=list(message_ids)).order_by("id"))
    files = files_of(messages)
    for message in messages:
        if message.room_id not in members:
            members[message.room_id] = room_member_ids(room_id=message.room_id)
        if message.deleted:
            payload = payloads.delete_message(message)
        else:
            payload = payloads.update_message(message, files=files)
        deliveries.extend((user_id, payload) for user_id in members[message.room_id])
    publish(deliveries)


def records_created_in_bulk(sender, *, record_ids, **kwargs):
    records = list(MessageRecord.objects.filter(pk__in=list(record_ids)).order_by("id"))
    messages = Message.objects.select_related("room").in_bulk({r.message_id for r in records})
    publish(_records_deliveries(records, messages, deleted=False))


RECEIVERS = [
    (post_save, Message, message_saved),
    (post_delete, Message, message_deleted),
    (post_save, HiddenMessage, message_hidden),
    (post_save, MessageRecord, record_saved),
    (post_delete, MessageRecord, record_deleted),
    (post_save, Room, room_saved),
    (pre_delete, Room, room_will_be_deleted),
    (post_delete, Room, room_deleted),
    (post_save, RoomUser, membership_saved),
    (post_delete, RoomUser, membership_deleted),
    (post_save, UserSetting, setting_saved),
    (post_delete, UserSetting, setting_deleted),
    (post_save, User, user_saved),
]


def connect() -> None:
    """Called once from ``EventstreamConfig.ready()``; ``dispatch_uid`` keeps it idempotent."""
    for model in TRACKED:
        uid = f"eventstream.remember_before_save.{model._meta.label}"
        pre_save.connect(remember_before_save, sender=model, dispatch_uid=uid)
    for signal, model, receiver in RECEIVERS:
        signal.connect(receiver, sender=model, dispatch_uid=f"eventstream.{receiver.__name__}")
    room_seen.connect(seen, dispatch_uid="eventstream.seen")
    messages_bulk_changed.connect(
        messages_changed_in_bulk, dispatch_uid="eventstream.messages_changed_in_bulk"
    )
    records_bulk_created.connect(
        records_created_in_bulk, dispatch_uid="eventstream.records_created_in_bulk"
    )
