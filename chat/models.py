"""Rooms, their members, messages and the records (seen, delivered, reaction) on messages."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Room(models.Model):
    class Type(models.TextChoices):
        PRIVATE = "private"
        GROUP = "group"

    type = models.CharField(max_length=16, choices=Type.choices, default=Type.PRIVATE)
    name = models.CharField(max_length=255, null=True, blank=True)
    avatar_file_id = models.BigIntegerField(default=0)
    deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    modified_at = models.DateTimeField(auto_now=True, db_index=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="RoomUser", related_name="rooms"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name or f"{self.type} room {self.pk}"


class RoomUser(models.Model):
    """Membership. ``created_at`` is the join time: earlier messages are hidden from the member."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    is_admin = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="room_user_unique_member")
        ]

    def __str__(self):
        return f"{self.user} in {self.room}"


class Message(models.Model):
    class Type(models.TextChoices):
        TEXT = "text"
        IMAGE = "image"
        VIDEO = "video"
        AUDIO = "audio"
        FILE = "file"
        SYSTEM = "system"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_device = models.ForeignKey(
        "accounts.Device", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.TEXT)
    body = models.JSONField(default=dict, blank=True)
    local_id = models.CharField(max_length=255, null=True, blank=True)
    reply = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deleted = models.BooleanField(default=False)
    is_forwarded = models.BooleanField(default=False)
    has_link = models.BooleanField(default=False)
    total_user_count = models.PositiveIntegerField(default=0)
    delivered_count = models.PositiveIntegerField(default=0)
    seen_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["room", "-created_at"], name="message_room_created")]

    def __str__(self):
        return f"message {self.pk} in room {self.room_id}"


class MessageRecord(models.Model):
    """One per message, user and type; a taken-back reaction is soft-deleted."""

    class Type(models.TextChoices):
        SEEN = "seen"
        DELIVERED = "delivered"
        REACTION = "reaction"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="records")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_records"
    )
    type = models.CharField(max_length=16, choices=Type.choices)
    reaction = models.CharField(max_length=64, null=True, blank=True)
    is_deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "user", "type"], name="message_record_unique_type"
            )
        ]
        indexes = [models.Index(fields=["user", "type"], name="record_user_type")]

    def __str__(self):
        return f"{self.type} by {self.user_id} on {self.message_id}"


class HiddenMessage(models.Model):
    """A message one user deleted "for me": hidden from that user only."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="hidden_for")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "message"], name="hidden_message_unique")
        ]

    def __str__(self):
        return f"message {self.message_id} hidden for {self.user_id}"


class Note(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="notes")
    title = models.CharField(max_length=135, default="")
    content = models.TextField(default="")
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.title or f"note {self.pk}"


class File(models.Model):
    """An uploaded file's metadata (the upload service itself comes with its own issue)."""

    type = models.CharField(max_length=64, blank=True, default="")
    relation_id = models.BigIntegerField(null=True, blank=True)
    path = models.CharField(max_length=1024, blank=True, default="")
    mime_type = models.CharField(max_length=255, blank=True, default="")
    file_name = models.CharField(max_length=255, blank=True, default="")
    size = models.FloatField(default=0)
    client_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    meta_data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.file_name or f"file {self.pk}"
