"""The naive setup bench/streams.py compares against: django-eventstream as shipped.

Its default view (``django_eventstream.views.events``), its database storage, its default
channel manager (any channel to anyone).
"""

from bench.streams_settings import *  # noqa: F403

EVENTSTREAM_STORAGE_CLASS = "django_eventstream.storage.DjangoModelStorage"
EVENTSTREAM_CHANNELMANAGER_CLASS = "django_eventstream.channelmanager.DefaultChannelManager"
