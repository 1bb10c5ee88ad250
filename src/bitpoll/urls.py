from django.contrib import admin
from django.urls import include, path

from bitpoll.core import views as core_views
from bitpoll.ratelimit import views as ratelimit_views

handler400 = "bitpoll.core.views.bad_request"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    # Under /about/, a reserved poll link name, so no existing poll is shadowed.
    path("about/", core_views.site_page, {"page": "about"}, name="about"),
    path("about/imprint/", core_views.site_page, {"page": "imprint"}, name="imprint"),
    path("about/privacy/", core_views.site_page, {"page": "privacy"}, name="privacy"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before the admin's own URLs, which it shadows: the same login, throttled.
    path("admin/login/", ratelimit_views.admin_login),
    path("admin/", admin.site.urls),
    # Single sign-on (OIDC, LDAP): bitpoll.accounts.sso_urls.
    path("accounts/", include("bitpoll.accounts.sso_urls")),
    # Under /accounts/, a reserved poll link name, so no existing poll is shadowed.
    path("accounts/", include("bitpoll.accounts.urls")),
    path("", include("bitpoll.polls.urls")),
    # The original Bitpoll's links (/poll/<slug>/...) of imported polls; after the polls' own
    # URLs so that a poll here named "poll" keeps all of its pages.
    path("", include("bitpoll.importer.urls")),
]

handler500 = "bitpoll.core.views.server_error"
