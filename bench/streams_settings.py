"""Settings for bench/streams.py's servers: the project's, plus two bench-only routes."""

from spika.settings import *  # noqa: F403

ROOT_URLCONF = "bench.streams_urls"
