"""One channel per user, named here and nowhere else. A user reads their own channel only."""

from django_eventstream.channelmanager import ChannelManagerBase

CHANNEL_PREFIX = "user-"


def channel_for_user(user_id: int) -> str:
    return f"{CHANNEL_PREFIX}{user_id}"


class UserChannelManager(ChannelManagerBase):
    """Deny by default: the requester's own channel or nothing (the library allows any)."""

    def get_channels_for_request(self, request, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return set()
        return {channel_for_user(user.pk)}

    def can_read_channel(self, user, channel):
        return user is not None and user.pk is not None and channel == channel_for_user(user.pk)

    def is_channel_reliable(self, channel):
        return True
