"""`bitpoll import-bitpoll` with the original's SQLite sample as the source."""

from __future__ import annotations

import datetime as dt
import io
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from bitpoll.importer import write as importer_write
from bitpoll.importer.models import ImportedRow, LegacyPoll
from bitpoll.polls.models import Choice, Comment, Entry, Option, Poll

from .conftest import import_bitpoll
from .figures import check_all

pytestmark = pytest.mark.django_db

BERLIN = "Europe/Berlin"


def _poll(old_slug: str) -> Poll:
    return LegacyPoll.objects.select_related("poll").get(old_slug=old_slug).poll


def test_it_imports_every_figure_of_the_sample(sample_url: str, expected: dict[str, Any]) -> None:
    report = import_bitpoll(sample_url, "--keep-admin-rights")
    check_all(expected, report, admin_rights=True)


def test_it_imports_admins_as_normal_accounts_unless_told(sample_url: str) -> None:
    report = import_bitpoll(sample_url)
    assert not User.objects.filter(is_superuser=True).exists()
    assert not User.objects.filter(is_staff=True).exists()
    assert "staff and superuser rights of admin" in report


def test_the_dst_poll_keeps_its_instants_across_the_clock_change(sample_url: str) -> None:
    import_bitpoll(sample_url)
    poll = _poll("workshop-dst-2026")
    local = [o.start.astimezone(poll.zone).strftime("%d %H:%M %Z") for o in poll.options.all()]
    # 27 and 28 March are in winter time (CET), 29 and 30 in summer time (CEST).
    assert local == [
        "27 18:00 CET", "28 10:00 CET", "28 15:00 CET", "29 10:00 CEST", "29 15:00 CEST",
        "30 18:00 CEST",
    ]  # fmt: skip


def test_the_custom_scale_keeps_titles_weights_and_gets_close_colours(sample_url: str) -> None:
    report = import_bitpoll(sample_url)
    scale = list(_poll("workshop-dst-2026").choices.all())
    assert [(c.label, c.colour, c.icon, str(c.weight)) for c in scale] == [
        ("Passt", Choice.Colour.GREEN, Choice.Icon.CHECK, "1.000"),
        ("Geht nicht", Choice.Colour.RED, Choice.Icon.CROSS, "0.000"),
        ("Unter Vorbehalt", Choice.Colour.AMBER, Choice.Icon.QUESTION, "0.400"),
        ("Nur online", Choice.Colour.BLUE, Choice.Icon.QUESTION, "0.750"),
    ]
    assert "icon 'laptop' of 'Nur online' has no equivalent" in report
    default = list(_poll("sommerfest-essen").choices.all())
    assert [(c.label, c.colour) for c in default] == [
        ("yes", Choice.Colour.GREEN), ("no", Choice.Colour.RED), ("maybe", Choice.Colour.AMBER),
        ("rather not", Choice.Colour.PURPLE),
    ]  # fmt: skip


def test_the_deleted_choice_keeps_its_answers_as_a_removed_option(sample_url: str) -> None:
    import_bitpoll(sample_url)
    sushi = _poll("sommerfest-essen").options.get(text="Sushi")
    assert sushi.group == "Buffet" and sushi.is_deleted
    assert sushi.votes.count() == 4
    # Between Pizza (sort_key 4) and Nachtisch (6), as in the original.
    texts = [o.text for o in _poll("sommerfest-essen").options.all()]
    assert texts == ["Würstchen", "Gemüsespieße", "Salate", "Pizza", "Sushi", "Nachtisch"]


def test_anonymous_and_name_only_votes(sample_url: str) -> None:
    import_bitpoll(sample_url)
    entries = _poll("sommerfest-essen").entries.all()
    anonymous = entries.get(name="")
    assert anonymous.user is None
    erna = entries.get(name="Tante Erna")
    assert erna.user is None
    assert {e.user.username for e in entries if e.user} == {"alice", "juergen", "bob"}
    # A name-only vote that is literally called "Schwarz/Weiß" or anything else keeps it.
    logo = _poll("vereinslogo-farbe")
    assert logo.entries.filter(user__username="juergen").count() == 2
    assert not logo.one_answer_per_account


def test_overall_vote_comments_become_comments_tied_to_the_answer(sample_url: str) -> None:
    import_bitpoll(sample_url)
    tied = Comment.objects.exclude(entry=None)
    assert tied.exists()
    for comment in tied:
        assert comment.entry is not None and comment.entry.poll_id == comment.poll_id
        assert comment.created == comment.entry.created


def test_users_keep_passwords_language_and_zone(sample_url: str) -> None:
    import_bitpoll(sample_url)
    # Each check costs a second: the original's hashes use 1,000,000 PBKDF2 rounds.
    bob = User.objects.get(username="bob")
    assert bob.check_password("Fixture-Pass-2026!")
    assert (bob.profile.language, bob.profile.time_zone) == ("de", "America/New_York")
    juergen = User.objects.get(username="juergen")
    assert (juergen.first_name, juergen.last_name) == ("Jürgen", "Müller-Lüdenscheidt")
    assert Client().login(username="admin", password="Fixture-Admin-2026!")


def test_settings_are_mapped(sample_url: str) -> None:
    import_bitpoll(sample_url)
    assert _poll("wZZEzQvvVd").answer_access == Poll.AnswerAccess.ACCOUNTS
    members = _poll("wCPFzIIjrT")
    assert members.answer_access == Poll.AnswerAccess.INVITED
    assert (members.allow_anonymous, members.require_name) == (False, True)
    assert members.summary_only and not members.hide_participant_names  # show_results=summary
    assert not members.require_all_answers
    assert members.participant_order == Poll.ParticipantOrder.TIME
    fest = _poll("sommerfest-essen")
    assert fest.listed_publicly and fest.allow_anonymous and not fest.require_name
    assert fest.description.startswith("Wir planen das **Sommerfest**")
    assert "<strong>Sommerfest</strong>" in fest.description_html
    assert fest.created == dt.datetime(2026, 1, 8, 18, 30, 52, 729582, tzinfo=dt.UTC)


def test_the_ownerless_poll_gets_an_admin_link_in_the_report(sample_url: str) -> None:
    report = import_bitpoll(sample_url)
    links = re.findall(
        r"vereinslogo-farbe -> vereinslogo-farbe: \S*(/vereinslogo-farbe/admin/\S+/)", report
    )
    assert len(links) == 1
    assert Client().get(links[0]).status_code == 200
    # Owned polls are managed through their owners: no link for them.
    assert "sommerfest-essen -> " not in report


def test_a_second_run_imports_nothing_twice(sample_url: str, expected: dict[str, Any]) -> None:
    first = import_bitpoll(sample_url)
    second = import_bitpoll(sample_url)
    check_all(expected, first)
    assert "Nothing to import: everything in the source was imported before." in second
    assert re.search(r"^polls\s+5\s+0\s+5\s+0$", second, re.M)
    assert re.search(r"^users\s+5\s+0\s+5\s+0$", second, re.M)
    assert "/admin/" not in second


def test_a_dry_run_reports_the_same_and_changes_nothing(sample_url: str) -> None:
    dry = import_bitpoll(sample_url, "--dry-run")
    assert dry.startswith("Dry run: nothing was changed.")
    assert (
        "admin link in the report when imported:\n  vereinslogo-farbe -> vereinslogo-farbe" in dry
    )
    assert "/admin/" not in dry
    assert not Poll.objects.exists() and not User.objects.exists()
    assert not ImportedRow.objects.exists()
    real = import_bitpoll(sample_url)

    def table(text: str) -> list[str]:
        return [line for line in text.splitlines() if re.match(r"^[a-z ()]+\s+\d+", line)]

    assert table(dry) == table(real) and len(table(real)) > 10


def test_it_refuses_colliding_link_names_and_imports_nothing(sample_url: str) -> None:
    Poll.objects.create(slug="sommerfest-essen", title="Ours", admin_token_hash="x")
    with pytest.raises(CommandError, match=r"sommerfest-essen.*--on-slug-collision=rename"):
        import_bitpoll(sample_url)
    assert Poll.objects.count() == 1 and not User.objects.exists()


def test_it_renames_or_skips_colliding_polls_when_told(sample_url: str) -> None:
    Poll.objects.create(slug="sommerfest-essen", title="Ours", admin_token_hash="x")
    report = import_bitpoll(sample_url, "--on-slug-collision=rename")
    assert _poll("sommerfest-essen").slug == "sommerfest-essen-2"
    assert "became sommerfest-essen-2" in report
    assert Client().get("/poll/sommerfest-essen/")["Location"] == "/sommerfest-essen-2/"


def test_it_skips_colliding_polls_when_told(sample_url: str) -> None:
    Poll.objects.create(slug="workshop-dst-2026", title="Ours", admin_token_hash="x")
    report = import_bitpoll(sample_url, "--on-slug-collision=skip")
    assert Poll.objects.count() == 5 and LegacyPoll.objects.count() == 4
    assert re.search(r"^polls\s+5\s+4\s+0\s+1$", report, re.M)


def test_it_refuses_existing_usernames_unless_merging(sample_url: str) -> None:
    mine = User.objects.create(username="alice", password="pbkdf2_sha256$1$salt$mine")
    password = mine.password
    with pytest.raises(CommandError, match=r"alice.*--on-account-collision=merge"):
        import_bitpoll(sample_url)
    assert not Poll.objects.exists()
    import_bitpoll(sample_url, "--on-account-collision=merge")
    assert _poll("sommerfest-essen").owner == mine
    assert User.objects.count() == 5
    mine.refresh_from_db()
    assert mine.password == password


def test_an_error_half_way_leaves_nothing(sample_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importer_write._apply_poll
    calls = []

    def failing(item: Any, *args: Any) -> None:
        calls.append(item)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        real(item, *args)

    monkeypatch.setattr(importer_write, "_apply_poll", failing)
    with pytest.raises(RuntimeError):
        import_bitpoll(sample_url)
    assert len(calls) == 3
    assert not Poll.objects.exists() and not User.objects.exists() and not Entry.objects.exists()
    assert not LegacyPoll.objects.exists() and not ImportedRow.objects.exists()


def _execute(path: Path, *statements: str) -> None:
    with sqlite3.connect(path) as db:
        for statement in statements:
            db.execute(statement)


def test_it_refuses_a_newer_schema(sample_copy: Path) -> None:
    _execute(
        sample_copy,
        "INSERT INTO django_migrations (app, name, applied) "
        "VALUES ('poll', '0021_something_new', '2027-01-01 00:00:00')",
    )
    with pytest.raises(CommandError, match=r"poll\.0021_something_new, newer than .*poll\.0020"):
        import_bitpoll(f"sqlite:///{sample_copy}")
    assert not User.objects.exists()


def test_it_refuses_what_is_not_the_original(sample_copy: Path, tmp_path: Path) -> None:
    _execute(sample_copy, "DROP TABLE django_migrations")
    with pytest.raises(CommandError, match="not a database of the original Bitpoll"):
        import_bitpoll(f"sqlite:///{sample_copy}")
    with pytest.raises(CommandError, match="does not exist"):
        import_bitpoll(f"sqlite:///{tmp_path}/missing.sqlite3")
    with pytest.raises(CommandError, match="holds a password"):
        import_bitpoll("postgresql://bitpoll:secret@localhost/bitpoll")
    with pytest.raises(CommandError, match="not supported"):
        import_bitpoll("mysql://localhost/bitpoll")


def test_it_restores_times_shifted_by_the_local_mean_time_bug(sample_copy: Path) -> None:
    # The original rewrote a datetime poll's choices with the LMT offset of its new zone
    # (Asia/Tokyo: +09:19) when the zone changed: 09:00 was stored as 23:41Z the day before.
    _execute(
        sample_copy,
        "UPDATE poll_poll SET timezone_name = 'Asia/Tokyo' WHERE url = 'workshop-dst-2026'",
        "UPDATE poll_choice SET date = '2026-03-27 23:41:00' WHERE id = 19",
        "UPDATE poll_choice SET date = '2026-03-28 00:00:00' WHERE id = 20",
    )
    report = import_bitpoll(f"sqlite:///{sample_copy}")
    poll = _poll("workshop-dst-2026")
    first, second = list(poll.options.all())[:2]
    assert first.start == dt.datetime(2026, 3, 28, 0, 0, tzinfo=dt.UTC)  # 09:00 in Tokyo
    assert second.start == dt.datetime(2026, 3, 28, 0, 0, tzinfo=dt.UTC)  # untouched
    assert "local mean time" in report and "restored to 2026-03-28 09:00" in report
    assert "two options at the same instant" in report


def test_it_keeps_grouping_escapes_and_nesting(sample_copy: Path) -> None:
    _execute(
        sample_copy,
        r"UPDATE poll_choice SET text = 'Musik/Rock/AC\/DC' WHERE id = 15",
        r"UPDATE poll_choice SET text = ' A / B ' WHERE id = 16",
        r"UPDATE poll_choice SET text = 'Trailing/' WHERE id = 17",
    )
    report = import_bitpoll(f"sqlite:///{sample_copy}")
    options = list(_poll("vereinslogo-farbe").options.all())
    assert [(o.group, o.text) for o in options] == [
        ("Musik / Rock", "AC/DC"), ("A", "B"), ("", "Trailing"), ("Schwarz", "Weiß"),
    ]  # fmt: skip
    assert "nested groups" in report


def test_postgresql_passwords_come_from_a_file(
    sample_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "missing"
    monkeypatch.setenv("BITPOLL_IMPORT_PASSWORD_FILE", str(secret))
    with pytest.raises(CommandError, match=r"BITPOLL_IMPORT_PASSWORD_FILE=.*cannot be read"):
        import_bitpoll(sample_url)


def test_imported_options_are_plain_options(sample_url: str) -> None:
    import_bitpoll(sample_url)
    assert Option.objects.filter(poll__kind="date", date=None).count() == 0
    assert Option.objects.filter(poll__kind="datetime", start=None).count() == 0


def test_sqlite_urls_read_like_bitpoll_database_url(
    upstream: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # sqlite:///relative is relative to the working directory, sqlite:////absolute is absolute.
    monkeypatch.chdir(upstream.parent)
    dry = import_bitpoll(f"sqlite:///{upstream.name}/bitpoll-upstream-sample.sqlite3", "--dry-run")
    assert re.search(r"^polls\s+5\s+5\s+0\s+0$", dry, re.M)
    with pytest.raises(CommandError, match="is not a SQLite URL"):
        import_bitpoll("sqlite://host/file.sqlite3")


def test_merging_never_takes_group_admin_rights_away(sample_url: str) -> None:
    from bitpoll.accounts.models import Group, Membership

    carla = User.objects.create(username="carla")
    team = Group.objects.create(name="orga-team", slug="orga-team")
    Membership.objects.create(group=team, user=carla, is_admin=True)
    with pytest.raises(CommandError, match=r"carla(.|\n)*orga-team.*--on-account-collision=merge"):
        import_bitpoll(sample_url)
    import_bitpoll(sample_url, "--on-account-collision=merge")
    assert Group.objects.count() == 1
    admins = set(team.memberships.filter(is_admin=True).values_list("user__username", flat=True))
    assert admins == {"alice", "juergen", "carla"}  # carla was only a member in the original
    assert team.memberships.count() == 3
    assert _poll("wZZEzQvvVd").owner_group == team


def test_the_password_prompt_needs_a_terminal(sample_url: str) -> None:
    with pytest.raises(CommandError, match="--password-prompt needs a terminal"):
        import_bitpoll(sample_url, "--password-prompt")


def test_a_dry_run_lists_every_refusal_at_once(sample_url: str) -> None:
    User.objects.create(username="bob")
    Poll.objects.create(slug="vereinslogo-farbe", title="Ours", admin_token_hash="x")
    out = io.StringIO()
    with pytest.raises(CommandError, match="would be refused"):
        call_command("import-bitpoll", sample_url, "--dry-run", stdout=out)
    report = out.getvalue()
    assert "Refused (nothing can be imported until these are resolved):" in report
    assert "usernames exist here already: bob." in report
    assert "vereinslogo-farbe -> vereinslogo-farbe" in report
    assert Poll.objects.count() == 1 and User.objects.count() == 1


def test_an_older_schema_reads_with_the_defaults_of_missing_columns(sample_copy: Path) -> None:
    # Columns added since 2017 (poll.0009 to 0018, base.0004): absent in older databases.
    _execute(
        sample_copy,
        "DELETE FROM django_migrations WHERE app = 'poll' AND name >= '0009'",
        "ALTER TABLE poll_poll DROP COLUMN vote_all",
        "ALTER TABLE poll_poll DROP COLUMN hide_participants",
        "ALTER TABLE poll_poll DROP COLUMN show_score_in_summary",
        "ALTER TABLE poll_choicevalue DROP COLUMN deleted",
        "ALTER TABLE base_bitpolluser DROP COLUMN displayname",
    )
    report = import_bitpoll(f"sqlite:///{sample_copy}")
    assert "poll.0008_merge_20170419_1403" in report
    assert Poll.objects.count() == 5
    # Without the deleted flag every answer value is live.
    assert Choice.objects.count() == 22
    assert (
        not Poll.objects.filter(hide_participant_names=True)
        .exclude(legacy__old_slug="wCPFzIIjrT")
        .exists()
    )


def test_link_names_that_differ_only_in_case_get_a_suffix(sample_copy: Path) -> None:
    _execute(
        sample_copy,
        "UPDATE poll_poll SET url = 'WZZEzQvvVd' WHERE url = 'vereinslogo-farbe'",
        "UPDATE poll_poll SET url = 'admin' WHERE url = 'sommerfest-essen'",
    )
    report = import_bitpoll(f"sqlite:///{sample_copy}")
    assert _poll("wZZEzQvvVd").slug == "wzzezqvvvd"
    assert _poll("WZZEzQvvVd").slug == "wzzezqvvvd-2"
    assert _poll("admin").slug == "admin-poll"
    assert "became wzzezqvvvd-2, wzzezqvvvd went to another poll" in report
    client = Client()
    assert client.get("/poll/WZZEzQvvVd/")["Location"] == "/wzzezqvvvd-2/"
    assert client.get("/poll/admin/")["Location"] == "/admin-poll/"


def test_an_account_deleted_since_the_last_import_comes_back(sample_url: str) -> None:
    import_bitpoll(sample_url)
    User.objects.get(username="carla").delete()
    report = import_bitpoll(sample_url)
    assert re.search(r"^users\s+5\s+1\s+4\s+0$", report, re.M)
    carla = User.objects.get(username="carla")
    assert ImportedRow.objects.get(kind="user", source_id=5).target_id == carla.pk


def test_admin_links_for_every_poll_when_asked(sample_url: str) -> None:
    report = import_bitpoll(sample_url, "--admin-links-for-all")
    links = re.findall(r"^  (\S+) -> (\S+): https?://[^/]+(/\S+/admin/\S+/)$", report, re.M)
    assert sorted(old for old, _, _ in links) == sorted(
        ["sommerfest-essen", "wZZEzQvvVd", "wCPFzIIjrT", "vereinslogo-farbe", "workshop-dst-2026"]
    )
    for _, new, link in links:
        assert link.startswith(f"/{new}/admin/")
        assert Client().get(link).status_code == 200
