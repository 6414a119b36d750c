from django.db import models


class Member(models.Model):
    """A user of one room, known by a bearer token (the chat's whole auth)."""

    token = models.CharField(max_length=64, unique=True)
    room_id = models.BigIntegerField(db_index=True)

    def __str__(self):
        return f"member {self.pk} of room {self.room_id}"


class Message(models.Model):
    room_id = models.BigIntegerField(db_index=True)
    from_member = models.ForeignKey(Member, on_delete=models.CASCADE)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"message {self.pk} in room {self.room_id}"
