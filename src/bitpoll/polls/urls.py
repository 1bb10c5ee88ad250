"""Poll URLs, mounted at the site root. Secrets live in the path: admin and edit links."""

from django.urls import path, register_converter

from bitpoll.polls import access_views, admin_views, mail_views, views


class IdConverter:
    """Database ids: at most 18 digits, so an absurd number is a 404, not an overflow."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

app_name = "polls"

_admin = "<str:slug>/admin/<str:token>/"

urlpatterns = [
    path("new/", views.create, name="create"),
    path("<str:slug>/", views.poll_page, name="poll"),
    path("<str:slug>/answer/", views.answer, name="answer"),
    path("<str:slug>/results/", views.results_list, name="results_list"),
    path("<str:slug>/entry/<id:entry_id>/<str:token>/", views.entry, name="entry"),
    path(
        "<str:slug>/entry/<id:entry_id>/<str:token>/adopt/",
        views.entry_adopt,
        name="entry_adopt",
    ),
    path(
        "<str:slug>/entry/<id:entry_id>/<str:token>/delete/",
        views.entry_delete,
        name="entry_delete",
    ),
    path("<str:slug>/comment/", views.comment_add, name="comment_add"),
    path("<str:slug>/comment/<id:comment_id>/delete/", views.comment_delete, name="comment_delete"),
    path(_admin, admin_views.dashboard, name="admin"),
    path(_admin + "edit/", admin_views.edit, name="admin_edit"),
    path(_admin + "options/", admin_views.options, name="admin_options"),
    path(
        _admin + "options/<id:option_id>/remove/",
        admin_views.option_remove,
        name="admin_option_remove",
    ),
    path(
        _admin + "options/<id:option_id>/restore/",
        admin_views.option_restore,
        name="admin_option_restore",
    ),
    path(
        _admin + "options/<id:option_id>/rename/",
        admin_views.option_rename,
        name="admin_option_rename",
    ),
    path(_admin + "scale/", admin_views.scale, name="admin_scale"),
    path(_admin + "access/", access_views.access_settings, name="admin_access"),
    path(_admin + "access/owner/", access_views.transfer, name="admin_transfer"),
    path(_admin + "access/invite/", access_views.invite, name="admin_invite"),
    path(
        _admin + "access/invite/<id:invitation_id>/remove/",
        access_views.uninvite,
        name="admin_uninvite",
    ),
    path(_admin + "close/", admin_views.close, name="admin_close"),
    path(_admin + "reopen/", admin_views.reopen, name="admin_reopen"),
    path(_admin + "delete/", admin_views.delete, name="admin_delete"),
    path(_admin + "copy/", admin_views.copy, name="admin_copy"),
    path(_admin + "export.csv", admin_views.export_csv, name="admin_export_csv"),
    path(_admin + "export.ics", admin_views.export_ics, name="admin_export_ics"),
    path(_admin + "entry/<id:entry_id>/", admin_views.entry_edit, name="admin_entry"),
    path(
        _admin + "entry/<id:entry_id>/delete/", admin_views.entry_delete, name="admin_entry_delete"
    ),
    path(_admin + "comments/delete/", admin_views.comments_delete, name="admin_comments_delete"),
    path(
        _admin + "comment/<id:comment_id>/delete/",
        admin_views.comment_delete,
        name="admin_comment_delete",
    ),
    # --- Mail: decision, invitations, watches, admin link recovery (mail_views) ---
    path("new/admin-links/", mail_views.recovery, name="recovery"),
    path("<str:slug>/decision.ics", mail_views.decision_ics, name="decision_ics"),
    path(
        "<str:slug>/invitation/<id:invitation_id>/<str:token>/",
        mail_views.invitation,
        name="invitation",
    ),
    path(
        "<str:slug>/watch/<id:watch_id>/<str:token>/unsubscribe/",
        mail_views.unsubscribe,
        name="unsubscribe",
    ),
    path("<str:slug>/watch/", mail_views.watch_account, name="watch_account"),
    path("<str:slug>/recover/<str:token>/", mail_views.recover, name="recover"),
    path(_admin + "decide/", mail_views.decide, name="admin_decide"),
    path(_admin + "undecide/", mail_views.undecide, name="admin_undecide"),
    path(_admin + "invitations/", mail_views.invitations, name="admin_invitations"),
    path(_admin + "invitations/remind/", mail_views.remind, name="admin_remind"),
]
