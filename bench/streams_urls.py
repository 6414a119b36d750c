"""Bench-only routes: POST one event to a user (ours) or to a channel (the naive setup)."""

import json

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django_eventstream import send_event
from django_eventstream.views import events

from eventstream.publish import publish
from spika.urls import urlpatterns as spika_urlpatterns


@csrf_exempt
def publish_ours(request):
    body = json.loads(request.body)
    publish([(body["userId"], {"type": "BENCH", "sentAt": body["sentAt"]})])
    return JsonResponse({"ok": True})


@csrf_exempt
def publish_naive(request):
    # The baseline only: the project itself calls send_event from eventstream/publish.py alone.
    body = json.loads(request.body)
    send_event(body["channel"], "message", {"type": "BENCH", "sentAt": body["sentAt"]})
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/publish", publish_ours),
    path("bench/naive-publish", publish_naive),
    path("bench/naive-events/<channel>", events),
    *spika_urlpatterns,
]
