from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpResponse

ALLOWED_HEADERS = (
    "Content-Type, Authorization, access-token, adminAccessToken, accesstoken, accessToken, "
    "device-name, os-name, os-version, device-type, app-version, Last-Event-ID"
)


def _is_preflight(request) -> bool:
    return request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META


def _add_cors(request, response):
    if request.path.startswith(("/api/", "/events")):
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Allow-Methods"] = "*"
        response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
    return response


class CorsMiddleware:
    """CORS as Spika sends it: any origin, any method; every preflight gets a 200.

    Sync and async, so that the async SSE view runs without a thread hop.
    """

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
        response = (
            HttpResponse(status=200) if _is_preflight(request) else self.get_response(request)
        )
        return _add_cors(request, response)

    async def _acall(self, request):
        if _is_preflight(request):
            response = HttpResponse(status=200)
        else:
            response = await self.get_response(request)
        return _add_cors(request, response)
