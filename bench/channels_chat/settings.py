"""Settings of the comparison chat: PostgreSQL from DATABASE_URL, the layer from REDIS_URL."""

import os

import dj_database_url

SECRET_KEY = "bench-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "channels", "bench.channels_chat"]
MIDDLEWARE = []
ROOT_URLCONF = "bench.channels_chat.urls"
ASGI_APPLICATION = "bench.channels_chat.asgi.application"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/spika_bench_channels")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")]},
    }
}
