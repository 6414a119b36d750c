"""Two requests for the same private room at the same moment make one room (real threads)."""

import threading

import pytest
from django.db import connection

from accounts.models import Contact
from chat.models import Room
from chat.services.rooms import room_create
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_simultaneous_private_room_requests_make_one_room():
    alice, bob = UserFactory(display_name="alice"), UserFactory(display_name="bob")
    Contact.objects.create(user=alice, contact=bob)
    Contact.objects.create(user=bob, contact=alice)
    barrier = threading.Barrier(4)
    answers, failures = [], []

    def create(actor, other):
        try:
            barrier.wait()
            room, _ = room_create(actor=actor, user_ids=[other.pk], admin_user_ids=[])
            answers.append(room.pk)
        except Exception as exc:  # noqa: BLE001 - reported by the assert below
            failures.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=create, args=pair)
        for pair in ((alice, bob), (bob, alice), (alice, bob), (bob, alice))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert Room.objects.count() == 1
    assert set(answers) == {Room.objects.get().pk}
