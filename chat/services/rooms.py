"""Writes of rooms: create, group actions, leave, delete, and a member's mute/pin (spec §5.4).

Rows are saved one by one (never in bulk) so that each change produces its events through the
model signals; nothing here publishes by itself.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import Contact, User, UserSetting
from chat import selectors
from chat.models import Room, RoomUser
from chat.services import system_messages as sm
from spika.errors import ApiError

PRIVATE = Room.Type.PRIVATE
GROUP = Room.Type.GROUP


def _unique(ids) -> list[int]:
    return list(dict.fromkeys(ids))


def _id_list(ids) -> str:
    return ",".join(str(i) for i in ids)


@transaction.atomic
def room_create(
    *,
    actor: User,
    user_ids: list[int],
    admin_user_ids: list[int],
    name: str = "",
    avatar_file_id: int = 0,
    type: str | None = None,
) -> tuple[Room, bool]:
    """``POST /rooms``. Returns (room, created): a second private room is the existing one."""
    admin_ids = _unique([*admin_user_ids, actor.pk])
    member_ids = _unique([*user_ids, actor.pk])
    users = User.objects.in_bulk(_unique(member_ids + admin_ids))
    if missing := [i for i in member_ids if i not in users]:
        raise ApiError(400, f"Users doesn't exist, ids: {_id_list(missing)}")
    if missing := [i for i in admin_ids if i not in users]:
        raise ApiError(400, f"Admin users doesn't exist, ids: {_id_list(missing)}")
    members = [users[i] for i in _unique(member_ids + admin_ids)]
    type = type or (PRIVATE if len(members) < 3 else GROUP)
    name = name or {1: "Private room", 2: ""}.get(len(members), "Untitled room")
    if type == PRIVATE:
        existing = _private_room_check(actor=actor, members=members)
        if existing is not None:
            return existing, False
    now = timezone.now()
    room = Room.objects.create(type=type, name=name, avatar_file_id=avatar_file_id, created_at=now)
    for user in members:
        RoomUser.objects.create(room=room, user=user, is_admin=user.pk in admin_ids, created_at=now)
    if type == GROUP:
        text = f"{actor.display_name} created the group {name}"
        _post_about_room(room, actor, sm.CREATED_GROUP, text, name, created_at=now)
    return room, True


def _private_room_check(*, actor: User, members: list[User]) -> Room | None:
    """The existing private room of the two, or None when a new one may be created."""
    if len(members) != 2:
        raise ApiError(400, "Private room must have 2 users")
    other = next(user for user in members if user.pk != actor.pk)
    # Two simultaneous requests for the same pair must not create two rooms.
    list(User.objects.select_for_update().filter(pk__in=[actor.pk, other.pk]).order_by("pk"))
    existing = selectors.room_private_between(user_id=actor.pk, other_id=other.pk)
    if existing is None and not Contact.objects.filter(user=actor, contact=other).exists():
        raise ApiError(400, "Other user is not your contact")
    return existing


def _group_for_admin(*, actor: User, room_id: int | None, verb: str, deleted_too=False) -> Room:
    """The group, locked, that ``actor`` may ``verb`` as its admin; else Spika's 404 or 403."""
    rooms = Room.objects.select_for_update().filter(pk=room_id)
    room = (rooms if deleted_too else rooms.filter(deleted=False)).first()
    if room is None:
        raise ApiError(404, "Not found")
    if room.type == PRIVATE:
        raise ApiError(403, f"Can't {verb} private room")
    if not RoomUser.objects.filter(room=room, user=actor, is_admin=True).exists():
        raise ApiError(403, "Forbidden")
    return room


@transaction.atomic
def room_update(
    *,
    actor: User,
    room_id: int | None,
    action: str,
    name: str | None = None,
    avatar_file_id: int | None = None,
    user_ids: list[int] | None = None,
) -> Room:
    """``PUT /rooms/:id``: one group action by an admin; an unknown action only touches the room.

    The type becomes ``group`` when the room has more than two members after the change.
    """
    room = _group_for_admin(actor=actor, room_id=room_id, verb="update")
    handler = _ACTIONS.get(action, _nothing)
    post = handler(room=room, actor=actor, name=name, avatar=avatar_file_id, ids=user_ids or [])
    if RoomUser.objects.filter(room=room).count() > 2:
        room.type = GROUP
    room.save()
    if post is not None:
        post()
    return room


def _add_users(*, room, actor, ids, **_):
    current = set(RoomUser.objects.filter(room=room).values_list("user_id", flat=True))
    wanted = [i for i in _unique(ids) if i not in current]
    users = User.objects.in_bulk(wanted)
    if missing := [i for i in wanted if i not in users]:
        raise ApiError(400, f"Users doesn't exist, ids: {_id_list(missing)}")
    if not wanted:
        return None
    now = timezone.now()
    added = [users[i] for i in wanted]
    for user in added:
        RoomUser.objects.create(room=room, user=user, created_at=now)
    return lambda: _post(room, actor, sm.ADDED_GROUP_MEMBERS, "added {} to the group", added, now)


def _remove_users(*, room, actor, ids, **_):
    memberships = list(
        RoomUser.objects.filter(room=room, user_id__in=ids, is_admin=False).select_related("user")
    )
    for membership in memberships:
        membership.delete()
    removed = [membership.user for membership in memberships]
    if not removed:
        return None
    return lambda: _post(
        room, actor, sm.REMOVED_GROUP_MEMBERS, "removed {} from the group", removed
    )


def _add_admins(*, room, actor, ids, **_):
    memberships = list(
        RoomUser.objects.filter(room=room, user_id__in=ids, is_admin=False).select_related("user")
    )
    promoted = memberships_admin_set(memberships=memberships, is_admin=True)
    if not promoted:
        return None
    return lambda: _post(room, actor, sm.ADDED_GROUP_ADMINS, "added {} as admin(s)", promoted)


def _remove_admins(*, room, actor, ids, **_):
    admins = list(RoomUser.objects.filter(room=room, is_admin=True).select_related("user"))
    ids = set(ids)
    listed = [membership for membership in admins if membership.user_id in ids]
    if len(listed) == len(admins):
        raise ApiError(400, "At least one admin should be in the group")
    demoted = memberships_admin_set(memberships=listed, is_admin=False)
    if not demoted:
        return None
    return lambda: _post(room, actor, sm.REMOVED_GROUP_ADMINS, "removed {} from admin(s)", demoted)


def _change_name(*, room, actor, name, **_):
    # An empty name changes nothing (Spika then posts an empty system message [quirk]; we don't).
    if not name:
        return None
    room.name = name
    return lambda: _post_about_room(room, actor, sm.UPDATED_GROUP_NAME, "Updated room name", name)


def _change_avatar(*, room, actor, avatar, **_):
    if avatar is None:
        return None
    room.avatar_file_id = avatar
    if not avatar:
        # Removing the photo is announced by the room update alone.
        return None
    text = "Updated room avatar"
    return lambda: _post_about_room(room, actor, sm.UPDATED_GROUP_AVATAR, text, room.name)


def _nothing(**_):
    return None


def memberships_admin_set(*, memberships, is_admin: bool) -> list[User]:
    """Save each membership's admin flag, one by one so that each change reaches the room's
    members (UPDATE_ROOM); returns their users (select them with the memberships)."""
    for membership in memberships:
        membership.is_admin = is_admin
        membership.save(update_fields=["is_admin", "modified_at"])
    return [membership.user for membership in memberships]


def _post_about_room(room, actor, kind, text, subject, created_at=None):
    """A system message whose object is the room itself, named ``subject``."""
    sm.system_message_create(
        room=room,
        actor=actor,
        kind=kind,
        text=text,
        objects=[subject],
        object_ids=[room.pk],
        created_at=created_at,
    )


def _post(room, actor, kind, sentence, users, created_at=None):
    sm.system_message_create(
        room=room,
        actor=actor,
        kind=kind,
        text=f"{actor.display_name} {sentence.format(sm.names(users))}",
        objects=[user.display_name for user in users],
        object_ids=[user.pk for user in users],
        created_at=created_at,
    )


_ACTIONS = dict(
    addGroupUsers=_add_users,
    removeGroupUsers=_remove_users,
    addGroupAdmins=_add_admins,
    removeGroupAdmins=_remove_admins,
    changeGroupName=_change_name,
    changeGroupAvatar=_change_avatar,
)


@transaction.atomic
def room_delete(*, actor: User, room_id: int | None) -> Room:
    """``DELETE /rooms/:id``: an admin soft-deletes a group (deleting again is allowed)."""
    room = _group_for_admin(actor=actor, room_id=room_id, verb="delete", deleted_too=True)
    room.deleted = True
    room.save()
    return room


@transaction.atomic
def room_leave(*, actor: User, room_id: int | None, admin_user_ids: list[int] | None) -> Room:
    """``POST /rooms/:id/leave``. The last admin names new admins, who join if they were not in.

    Promoted members keep their join time (Spika re-creates them, hiding their history [quirk]).
    """
    room = Room.objects.select_for_update().filter(pk=room_id).first()
    membership = room and RoomUser.objects.filter(room=room, user=actor).first()
    if room is None or membership is None:
        raise ApiError(404, "Not found")
    if room.type == PRIVATE:
        raise ApiError(403, "Can't leave private room")
    others_admin = RoomUser.objects.filter(room=room, is_admin=True).exclude(user=actor).exists()
    new_admins = []
    if membership.is_admin and not others_admin:
        wanted = [i for i in _unique(admin_user_ids or []) if i != actor.pk]
        new_admins = list(User.objects.filter(pk__in=wanted).order_by("pk"))
        if not new_admins:
            raise ApiError(400, "New admin(s) must be defined")
    membership.delete()
    for user in new_admins:
        promoted, created = RoomUser.objects.get_or_create(
            room=room, user=user, defaults={"is_admin": True}
        )
        if not created and not promoted.is_admin:
            memberships_admin_set(memberships=[promoted], is_admin=True)
    room.save()
    text = f"{actor.display_name} left the room"
    _post_about_room(room, actor, sm.USER_LEFT_GROUP, text, room.name)
    return room


_FLAGS = {"mute": "mute", "unmute": "mute", "pin": "pin", "unpin": "pin"}


@transaction.atomic
def room_flag_set(*, user: User, room_id: int, flag: str) -> None:
    """mute/unmute/pin/unpin: the setting ``mute_<id>`` / ``pin_<id>``; idempotent both ways."""
    if not RoomUser.objects.filter(user=user, room_id=room_id).exists():
        raise ApiError(404, "Chat not found")
    key = selectors.flag_setting_key(_FLAGS[flag], room_id)
    if flag in ("mute", "pin"):
        UserSetting.objects.update_or_create(user=user, key=key, defaults={"value": "true"})
        return
    for setting in UserSetting.objects.filter(user=user, key=key):
        setting.delete()
