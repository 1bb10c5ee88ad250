from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def security_headers(get_response: Callable[[HttpRequest], HttpResponse]):
    """Add the headers Django's SecurityMiddleware does not set: CSP and Permissions-Policy."""
    csp = settings.CONTENT_SECURITY_POLICY
    permissions = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("Permissions-Policy", permissions)
        return response

    return middleware
