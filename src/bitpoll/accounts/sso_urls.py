from django.urls import path

from bitpoll.accounts import sso_views

urlpatterns = [
    path("oidc/login/", sso_views.oidc_login, name="oidc_login"),
    path("oidc/callback/", sso_views.oidc_callback, name="oidc_callback"),
    path("sso/login/", sso_views.sso_login, name="sso_login"),
]
