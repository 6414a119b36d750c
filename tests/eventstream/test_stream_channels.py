from types import SimpleNamespace

from django.contrib.auth.models import AnonymousUser

from eventstream.channels import UserChannelManager, channel_for_user

manager = UserChannelManager()


def user(pk):
    return SimpleNamespace(pk=pk, is_authenticated=True)


def test_a_user_reads_their_own_channel_only():
    assert channel_for_user(7) == "user-7"
    assert manager.can_read_channel(user(7), "user-7")
    assert not manager.can_read_channel(user(7), "user-8")
    assert not manager.can_read_channel(user(7), "user-7 ")
    assert not manager.can_read_channel(None, "user-7")
    assert not manager.can_read_channel(AnonymousUser(), "user-None")


def test_a_request_gets_its_users_channel_whatever_it_asks_for():
    request = SimpleNamespace(user=user(7), GET={"channel": "user-8"})
    assert manager.get_channels_for_request(request, {"channel": "user-8"}) == {"user-7"}
    anonymous = SimpleNamespace(user=AnonymousUser(), GET={})
    assert manager.get_channels_for_request(anonymous, {}) == set()
    assert manager.is_channel_reliable("user-7")
