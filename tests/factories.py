"""Factories for the models. Personas: alice and bob talk; charlie must never see their things."""

import factory
from django.utils import timezone

from accounts.models import Device, User
from accounts.tokens import token_expiry, token_hash
from chat.models import Message, MessageRecord, Room, RoomUser


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    # +38599...: never one of the personas' numbers (+38591000000x in tests/conftest.py).
    telephone_number = factory.Sequence(lambda n: f"+38599{n:07d}")
    display_name = factory.Sequence(lambda n: f"user {n}")
    email_address = factory.Sequence(lambda n: f"user{n}@example.com")
    verified = True


class DeviceFactory(factory.django.DjangoModelFactory):
    """A signed-in device. Its raw token is ``device.token`` (only the hash is stored)."""

    class Meta:
        model = Device

    user = factory.SubFactory(UserFactory)
    device_id = factory.Sequence(lambda n: f"device-{n}")
    type = "browser"
    token = factory.Sequence(lambda n: f"test-token-{n:020d}")
    token_hash = factory.LazyAttribute(lambda o: token_hash(o.token))
    token_expired_at = factory.LazyFunction(token_expiry)

    @classmethod
    def _create(cls, model_class, *args, token=None, **kwargs):
        device = super()._create(model_class, *args, **kwargs)
        device.token = token
        return device


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    type = Room.Type.GROUP
    name = factory.Sequence(lambda n: f"room {n}")


class RoomUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomUser

    room = factory.SubFactory(RoomFactory)
    user = factory.SubFactory(UserFactory)
    created_at = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    room = factory.SubFactory(RoomFactory)
    from_user = factory.SubFactory(UserFactory)
    type = Message.Type.TEXT
    body = factory.Sequence(lambda n: {"text": f"message {n}"})


class MessageRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MessageRecord

    message = factory.SubFactory(MessageFactory)
    user = factory.SubFactory(UserFactory)
    type = MessageRecord.Type.SEEN


def room_with(*users, type=Room.Type.GROUP, admins=(), **fields) -> Room:
    """A room whose members are ``users`` (the ones in ``admins`` are admins)."""
    room = RoomFactory(type=type, **fields)
    for user in users:
        RoomUser.objects.create(room=room, user=user, is_admin=user in admins)
    return room
