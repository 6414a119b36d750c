"""chat's reactions to other apps' signals."""

from chat.models import Room, RoomUser


def on_user_deleted(sender, *, user, **kwargs):
    """A deleted account leaves its groups; private rooms keep their history (Spika's DELETE /me).

    Row by row, so that each removal produces its room events.
    """
    for membership in RoomUser.objects.filter(user=user, room__type=Room.Type.GROUP):
        membership.delete()
