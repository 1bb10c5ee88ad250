from django.conf import settings
from django.http import HttpRequest


def accounts(request: HttpRequest) -> dict[str, object]:
    return {"accounts_enabled": settings.ACCOUNTS_ENABLED}
