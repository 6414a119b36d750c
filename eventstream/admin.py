"""Stored events, read-only: what each user's channel carried, for an operator's questions."""

import json

from django.contrib import admin
from django.utils.text import Truncator

from chat.admin import IdInputFilter
from eventstream.models import StoredEvent


class ChannelFilter(IdInputFilter):
    title = "user (id)"
    parameter_name = "user"
    lookup = "user_id"


@admin.register(StoredEvent)
class StoredEventAdmin(admin.ModelAdmin):
    list_display = ("pk", "user_id", "seq", "event_type", "created_at", "summary")
    list_filter = (ChannelFilter,)
    fields = ("user_id", "seq", "created_at", "pretty_data")
    readonly_fields = fields
    ordering = ("-pk",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Storage is trimmed by retention; replay_events sends events again if needed.
        return False

    @staticmethod
    def _payload(event) -> dict:
        try:
            payload = json.loads(event.data)
        except ValueError:
            return {}
        return payload if isinstance(payload, dict) else {}

    @admin.display(description="type")
    def event_type(self, event):
        return self._payload(event).get("type", "")

    @admin.display(description="data")
    def summary(self, event):
        return Truncator(event.data).chars(120)

    @admin.display(description="data")
    def pretty_data(self, event):
        return json.dumps(self._payload(event), indent=2, ensure_ascii=False)
