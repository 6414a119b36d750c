from accounts.services import user_delete
from chat.models import Room, RoomUser
from tests.factories import room_with


def test_a_deleted_account_leaves_its_groups_but_keeps_its_private_rooms(alice, bob):
    group = room_with(alice.user, bob.user, type=Room.Type.GROUP)
    private = room_with(alice.user, bob.user, type=Room.Type.PRIVATE)

    user_delete(user=alice.user)

    assert list(RoomUser.objects.filter(user=alice.user).values_list("room_id", flat=True)) == [
        private.id
    ]
    assert list(RoomUser.objects.filter(room=group).values_list("user_id", flat=True)) == [
        bob.user.id
    ]
