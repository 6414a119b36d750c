import json

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpResponse

from spika.errors import error_body

ALLOWED_HEADERS = (
    "Content-Type, Authorization, access-token, adminAccessToken, accesstoken, accessToken, "
    "device-name, os-name, os-version, device-type, app-version, Last-Event-ID"
)


CORS_PATHS = ("/api/", "/events")


def _is_preflight(request) -> bool:
    # Spika answers every OPTIONS with 200 before its routers run, preflight or not.
    return request.method == "OPTIONS" and request.path.startswith(CORS_PATHS)


def _add_cors(request, response):
    if request.path.startswith(CORS_PATHS):
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Allow-Methods"] = "*"
        response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
    return response


class _ResponseMiddleware:
    """A middleware that may answer before the view (``early``) and then amends the response
    (``amend``). Sync and async, so that the async SSE view runs without a thread hop."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        response = self.early(request)
        if response is None:
            response = self.get_response(request)
        return self.amend(request, response)

    async def _acall(self, request):
        response = self.early(request)
        if response is None:
            response = await self.get_response(request)
        return self.amend(request, response)

    def early(self, request):
        return None

    def amend(self, request, response):
        return response


class CorsMiddleware(_ResponseMiddleware):
    """CORS as Spika sends it: any origin, any method; every preflight gets a 200."""

    def early(self, request):
        return HttpResponse(status=200) if _is_preflight(request) else None

    def amend(self, request, response):
        return _add_cors(request, response)


# The APIs answered with the envelope (the upload service has its alias too).
API_PREFIX = ("/api/messenger/", "/api/upload/", "/api/uploads/")
# Spika's texts for the errors the framework answers by itself.
MESSAGES = {404: "Not found", 405: "Method not allowed"}


def _as_envelope(request, response):
    """A bare error the framework answered itself (405 for a known path with an unknown method,
    say) becomes Spika's error envelope, so that clients always get one shape."""
    if (
        response.status_code >= 400
        and request.path.startswith(API_PREFIX)
        and not response.get("Content-Type", "").startswith("application/json")
        and not getattr(response, "streaming", False)
    ):
        message = MESSAGES.get(response.status_code, response.reason_phrase)
        response.content = json.dumps(error_body(message)).encode()
        response["Content-Type"] = "application/json; charset=utf-8"
    return response


class ApiErrorEnvelopeMiddleware(_ResponseMiddleware):
    """Spika's envelope on the API's error answers that no exception handler produced."""

    def amend(self, request, response):
        return _as_envelope(request, response)
