"""Accounts URLs, under /accounts/ (a reserved poll link name)."""

from django.urls import path

from bitpoll.accounts import groups, mypolls, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("register/", views.register, name="register"),
    path("verify/<str:uidb64>/<str:token>/", views.verify, name="verify"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<str:uidb64>/<str:token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("password/", views.password_change, name="password_change"),
    path("password/changed/", views.password_change_done, name="password_change_done"),
    path("settings/", views.account_settings, name="settings"),
    path("email/", views.email_change, name="email_change"),
    path("email/<str:token>/", views.email_confirm, name="email_confirm"),
    path("polls/", mypolls.my_polls, name="polls"),
    path("groups/", groups.group_list, name="groups"),
    path("groups/new/", groups.group_create, name="group_create"),
    path("groups/<slug:slug>/", groups.group_detail, name="group"),
    path("groups/<slug:slug>/members/", groups.member_add, name="member_add"),
    path(
        "groups/<slug:slug>/members/<int:user_id>/",
        groups.member_change,
        name="member_change",
    ),
]
