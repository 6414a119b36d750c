"""Stored events in the admin: listed, filtered by channel, shown, and never changed."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from eventstream.models import StoredEvent


@pytest.fixture
def operator(db):
    client = Client()
    client.force_login(User.objects.create_superuser("+385990000000", "operator password"))
    return client


@pytest.fixture
def events(alice, bob):
    seen = {"type": "SEEN_ROOM", "roomId": 7}
    return [
        StoredEvent.objects.create(user_id=alice.user.pk, seq=1, data=json.dumps(seen)),
        StoredEvent.objects.create(user_id=bob.user.pk, seq=1, data=json.dumps(seen)),
        StoredEvent.objects.create(user_id=bob.user.pk, seq=2, data="not json"),
    ]


def test_events_are_listed_newest_first_and_filtered_by_user(operator, events, bob):
    url = reverse("admin:eventstream_storedevent_changelist")
    response = operator.get(url)
    assert response.status_code == 200
    assert [e.pk for e in response.context["cl"].result_list] == [e.pk for e in events[::-1]]
    assert '<td class="field-event_type">SEEN_ROOM</td>' in response.content.decode()
    mine = operator.get(url, {"user": bob.user.pk})
    assert [e.pk for e in mine.context["cl"].result_list] == [events[2].pk, events[1].pk]


def test_an_event_is_shown_and_cannot_be_changed_added_or_deleted(operator, events):
    event = events[0]
    page = operator.get(reverse("admin:eventstream_storedevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert "&quot;type&quot;: &quot;SEEN_ROOM&quot;" in page.content.decode()
    assert operator.get(reverse("admin:eventstream_storedevent_add")).status_code == 403
    delete = reverse("admin:eventstream_storedevent_delete", args=[event.pk])
    assert operator.post(delete, {"post": "yes"}).status_code == 403
    assert StoredEvent.objects.filter(pk=event.pk).exists()
