from django.contrib import admin
from django.urls import include, path

from bitpoll.core import views as core_views

handler400 = "bitpoll.core.views.bad_request"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("bitpoll.polls.urls")),
]
