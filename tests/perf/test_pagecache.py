"""The cached poll page changes with every write that changes what it shows.

Each test renders the page for an anonymous visitor (which fills the cache), changes the poll
through the same service functions the views use, and checks that the next anonymous visitor
sees the change. One test shows that the cache is really used: a hit costs one query.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import zoneinfo
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from bitpoll.polls import pagecache, services
from bitpoll.polls.models import Poll
from bitpoll.polls.options import parse_lines

pytestmark = pytest.mark.django_db


def make_poll(**settings: object) -> Poll:
    poll, _ = services.create_poll(
        title="Team lunch",
        description="",
        kind="text",
        time_zone="Europe/Berlin",
        options=parse_lines("text", "Pizza\nSushi", zoneinfo.ZoneInfo("Europe/Berlin")),
        **settings,
    )
    return poll


def page(poll: Poll) -> str:
    """The public page as a new anonymous visitor sees it."""
    response = Client().get(f"/{poll.slug}/")
    assert response.status_code == 200
    return response.content.decode()


def yes_to_all(poll: Poll) -> dict[int, services.Answer]:
    yes = poll.choices.order_by("order").first()
    assert yes is not None
    return {o.pk: services.Answer(yes.pk) for o in poll.options.filter(is_deleted=False)}


def fresh(poll: Poll) -> Poll:
    return Poll.objects.get(pk=poll.pk)


def test_it_serves_a_hit_with_a_single_query(django_assert_num_queries: Callable) -> None:  # type: ignore[type-arg]
    poll = make_poll()
    services.add_entry(poll, "Bob", yes_to_all(poll))
    page(poll)
    with django_assert_num_queries(1):
        Client().get(f"/{poll.slug}/")


def test_it_gives_each_visitor_a_fresh_csrf_token_that_works() -> None:
    poll = make_poll()
    page(poll)  # fills the cache
    client = Client(enforce_csrf_checks=True)
    html = client.get(f"/{poll.slug}/").content.decode()
    assert pagecache.CSRF_PLACEHOLDER not in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token
    assert "csrftoken" in client.cookies
    other = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page(poll))
    assert other and other.group(1) != token.group(1)
    fields = {"csrfmiddlewaretoken": token.group(1), "name": "Dora"}
    for option in poll.options.all():
        fields[f"o{option.pk}"] = str(poll.choices.first().pk)  # type: ignore[union-attr]
    response = client.post(f"/{poll.slug}/answer/", fields)
    assert response.status_code == 302
    assert poll.entries.filter(name="Dora").exists()


def test_it_shows_a_new_answer() -> None:
    poll = make_poll()
    assert "Bob" not in page(poll)
    services.add_entry(poll, "Bob", yes_to_all(poll))
    assert "Bob" in page(fresh(poll))


def test_it_shows_an_edited_answer_and_a_deleted_one() -> None:
    poll = make_poll()
    entry, _ = services.add_entry(poll, "Bob", yes_to_all(poll))
    assert "Bob" in page(fresh(poll))
    services.update_entry(entry, "Robert", yes_to_all(poll))
    html = page(fresh(poll))
    assert "Robert" in html and ">Bob<" not in html
    services.delete_entry(entry)
    assert "Robert" not in page(fresh(poll))


def test_it_shows_comments_added_and_deleted() -> None:
    poll = make_poll()
    page(poll)
    comment = services.add_comment(poll, "Carol", "Sushi please!", None, "0" * 64)
    assert "Sushi please!" in page(fresh(poll))
    services.delete_comment(comment)
    assert "Sushi please!" not in page(fresh(poll))


def test_it_shows_removed_and_restored_options() -> None:
    poll = make_poll()
    sushi = poll.options.get(text="Sushi")
    assert "Sushi" in page(poll)
    services.set_option_deleted(sushi, True)
    assert "Sushi" not in page(fresh(poll))
    services.set_option_deleted(sushi, False)
    assert "Sushi" in page(fresh(poll))


def test_it_shows_added_options() -> None:
    poll = make_poll()
    page(poll)
    services.add_options(poll, parse_lines("text", "Tacos", zoneinfo.ZoneInfo("UTC")))
    assert "Tacos" in page(fresh(poll))


def test_it_shows_a_changed_scale() -> None:
    poll = make_poll()
    page(poll)
    keep = {
        c.pk: services.ChoiceData(c.label, c.colour, c.icon, c.weight) for c in poll.choices.all()
    }
    services.set_scale(poll, keep, [services.ChoiceData("Only online", "b", "q", Decimal("0.25"))])
    assert "Only online" in page(fresh(poll))


def test_it_shows_changed_settings_and_title() -> None:
    poll = make_poll()
    services.add_entry(poll, "Bob", yes_to_all(poll))
    assert "Bob" in page(fresh(poll))
    services.update_poll(fresh(poll), {"title": "Team dinner", "hide_participant_names": True})
    html = page(fresh(poll))
    assert "Team dinner" in html
    assert "Bob" not in html


def test_it_shows_closing_and_reopening() -> None:
    poll = make_poll()
    assert 'id="answer-form"' in page(poll)
    poll.close()
    assert 'id="answer-form"' not in page(fresh(poll))
    poll = fresh(poll)
    poll.reopen()
    assert 'id="answer-form"' in page(fresh(poll))


def test_it_stops_taking_answers_when_the_deadline_passes_without_any_write() -> None:
    poll = make_poll(deadline=timezone.now() + dt.timedelta(hours=1))
    assert 'id="answer-form"' in page(poll)
    Poll.objects.filter(pk=poll.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    assert 'id="answer-form"' not in page(fresh(poll))


def test_it_keeps_languages_apart() -> None:
    poll = make_poll()
    english = Client().get(f"/{poll.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    german = Client().get(f"/{poll.slug}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="en">' in english
    assert '<html lang="de">' in german


def answer_as(poll: Poll, name: str, **extra: str) -> Client:
    """A visitor who answers through the page, as a browser does: the entry cookie is set."""
    client = Client()
    yes = poll.choices.order_by("order").first()
    assert yes is not None
    fields = {"name": name, **extra}
    for option in poll.options.filter(is_deleted=False):
        fields[f"o{option.pk}"] = str(yes.pk)
    response = client.post(f"/{poll.slug}/answer/", fields)
    assert response.status_code == 302, response.content[:500]
    return client


def comment_as(client: Client, poll: Poll, author: str, text: str) -> None:
    response = client.post(f"/{poll.slug}/comment/", {"author": author, "text": text})
    assert response.status_code == 302


def edit_links(html: str) -> list[str]:
    return re.findall(r'id="edit-link" readonly value="[^"]*(/[^"]+/entry/[^"]+)"', html)


def own_rows(html: str) -> list[str]:
    return re.findall(r"<tr class=me><th scope=row>([^<]*)", html)


def test_it_gives_each_participant_only_their_own_edit_link_and_row() -> None:
    poll = make_poll()
    page(poll)  # fills the cache before anyone answers
    bob = answer_as(poll, "Bob")
    carol = answer_as(poll, "Carol")
    bob_html = bob.get(f"/{poll.slug}/").content.decode()
    carol_html = carol.get(f"/{poll.slug}/").content.decode()
    bob_entry = poll.entries.get(name="Bob")
    carol_entry = poll.entries.get(name="Carol")
    [bob_link] = edit_links(bob_html)
    [carol_link] = edit_links(carol_html)
    assert f"/entry/{bob_entry.pk}/" in bob_link and f"/entry/{carol_entry.pk}/" in carol_link
    assert bob_link not in carol_html and carol_link not in bob_html
    assert own_rows(bob_html) == ["Bob "] and own_rows(carol_html) == ["Carol "]
    assert "You answered as Bob" in bob_html and "Carol" not in bob_html.split("results")[0]
    assert 'id="comment-form"' in bob_html and 'value="Bob"' in bob_html
    stranger = page(fresh(poll))
    assert edit_links(stranger) == [] and own_rows(stranger) == []
    assert bob_link not in stranger and carol_link not in stranger
    assert 'id="you"' not in stranger and 'value="Bob"' not in stranger
    # The edit links work: each opens its own answer.
    assert Client().get(bob_link).status_code == 200


def test_it_serves_a_participant_from_the_cache_with_one_more_query(
    django_assert_num_queries: Callable,  # type: ignore[type-arg]
) -> None:
    poll = make_poll()
    bob = answer_as(poll, "Bob")
    bob.get(f"/{poll.slug}/")  # renders; the flash message is shown and spent
    with django_assert_num_queries(2):
        html = bob.get(f"/{poll.slug}/").content.decode()
    assert len(edit_links(html)) == 1


def test_it_does_not_trust_a_forged_entry_cookie() -> None:
    from bitpoll.polls import access

    poll = make_poll()
    answer_as(poll, "Bob")
    bob_entry = poll.entries.get(name="Bob")
    mallory = Client()
    mallory.cookies[access.ENTRY_COOKIE] = f"{bob_entry.pk}.not-the-token"
    html = mallory.get(f"/{poll.slug}/").content.decode()
    assert edit_links(html) == [] and own_rows(html) == []
    # An answer to another poll, with its real secret, does not count here either.
    other = make_poll()
    bob_elsewhere = answer_as(other, "Bob")
    cookie = bob_elsewhere.cookies[access.ENTRY_COOKIE]
    mallory.cookies[access.ENTRY_COOKIE] = cookie.value
    html = mallory.get(f"/{poll.slug}/").content.decode()
    assert edit_links(html) == [] and own_rows(html) == []


def test_it_shows_delete_buttons_only_to_the_comment_author() -> None:
    poll = make_poll()
    page(poll)
    bob = answer_as(poll, "Bob")
    carol = Client()  # comments without answering: a comment cookie
    comment_as(bob, poll, "Bob", "Pizza for me")
    comment_as(carol, poll, "Carol", "Sushi for me")
    bob_comment = poll.comments.get(author="Bob")
    carol_comment = poll.comments.get(author="Carol")
    bob_html = bob.get(f"/{poll.slug}/").content.decode()
    carol_html = carol.get(f"/{poll.slug}/").content.decode()
    assert f'id="comment-delete-{bob_comment.pk}"' in bob_html
    assert f'id="comment-delete-{carol_comment.pk}"' not in bob_html
    assert f'id="comment-delete-{carol_comment.pk}"' in carol_html
    assert f'id="comment-delete-{bob_comment.pk}"' not in carol_html
    assert "comment-delete-" not in page(fresh(poll))
    # The button works, with the CSRF token it carries.
    response = carol.post(f"/{poll.slug}/comment/{carol_comment.pk}/delete/")
    assert response.status_code == 302
    assert not poll.comments.filter(pk=carol_comment.pk).exists()


def test_it_shows_a_flash_message_once_and_only_to_its_visitor() -> None:
    poll = make_poll()
    page(poll)
    bob = answer_as(poll, "Bob")
    first = bob.get(f"/{poll.slug}/").content.decode()
    assert "your answer is saved" in first
    assert "your answer is saved" not in page(fresh(poll))
    assert "your answer is saved" not in bob.get(f"/{poll.slug}/").content.decode()


def test_it_ignores_the_query_string(django_assert_num_queries: Callable) -> None:  # type: ignore[type-arg]
    poll = make_poll()
    services.add_entry(poll, "Bob", yes_to_all(poll))
    page(poll)
    with django_assert_num_queries(1):
        html = Client().get(f"/{poll.slug}/?n=1&utm_source=x").content.decode()
    assert "Bob" in html and "utm_source" not in html


def test_it_shows_results_kept_for_those_who_answered_only_to_them() -> None:
    poll = make_poll(results_visibility=Poll.Visibility.AFTER_ANSWER)
    services.add_entry(poll, "Bob", yes_to_all(poll))
    assert 'id="results-hidden"' in page(poll)
    carol = answer_as(poll, "Carol")
    html = carol.get(f"/{poll.slug}/").content.decode()
    assert 'id="results-hidden"' not in html and "Bob" in html
    assert own_rows(html) == ["Carol "]
    stranger = page(fresh(poll))
    assert 'id="results-hidden"' in stranger and "Bob" not in stranger


def test_it_names_only_the_visitor_when_names_are_hidden() -> None:
    poll = make_poll(hide_participant_names=True)
    services.add_entry(poll, "Bob", yes_to_all(poll))
    carol = answer_as(poll, "Carol")
    html = carol.get(f"/{poll.slug}/").content.decode()
    assert own_rows(html) == ["Carol "] and "Bob" not in html
    stranger = page(fresh(poll))
    assert "Carol" not in stranger and "Bob" not in stranger


def test_it_sends_gzip_to_browsers_that_accept_it() -> None:
    poll = make_poll()
    services.add_entry(poll, "Bob", yes_to_all(poll))
    bob = answer_as(poll, "Bob2")
    plain = page(fresh(poll))
    for client in (Client(), bob):
        response = client.get(f"/{poll.slug}/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert response["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response["Vary"]
        html = gzip.decompress(response.content).decode()
        assert int(response["Content-Length"]) == len(response.content)
        assert "Bob" in html and html.endswith("</html>\n")
        mask = re.compile(r'value="[A-Za-z0-9]{64}"')
        if client is not bob:
            assert mask.sub("T", html) == mask.sub("T", plain)
    refused = Client().get(f"/{poll.slug}/", HTTP_ACCEPT_ENCODING="gzip;q=0, identity")
    assert not refused.has_header("Content-Encoding")
    assert "Bob" in refused.content.decode()


def test_it_combines_crcs_as_zlib_would() -> None:
    import zlib

    a, b = b"The first stretch " * 300, b"and the second."
    assert pagecache.crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


@pytest.mark.parametrize("direct", [0, 1 << 30])
def test_the_crc_is_right_whether_stretches_are_hashed_or_combined(
    direct: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # gzip.decompress checks the trailer's CRC and length.
    monkeypatch.setattr(pagecache, "DIRECT_CRC", direct)
    poll = make_poll()
    for n in range(pagecache.ROWS_PER_CHUNK + 3):
        services.add_entry(poll, f"Participant number {n}", yes_to_all(poll))
    bob = answer_as(poll, "Bob")
    for client in (Client(), bob):
        response = client.get(f"/{poll.slug}/", HTTP_ACCEPT_ENCODING="gzip")
        html = gzip.decompress(response.content).decode()
        assert html.count("Participant number") == pagecache.ROWS_PER_CHUNK + 3
    assert own_rows(html) == ["Bob "]


def test_it_marks_the_own_row_in_a_big_page_served_gzipped() -> None:
    poll = make_poll()
    for n in range(pagecache.ROWS_PER_CHUNK * 3):
        services.add_entry(poll, f"Participant number {n}", yes_to_all(poll))
    bob = answer_as(poll, "Bob")
    services.add_entry(fresh(poll), "Zoe", yes_to_all(poll))
    bob.get(f"/{poll.slug}/")
    response = bob.get(f"/{poll.slug}/", HTTP_ACCEPT_ENCODING="gzip")
    html = gzip.decompress(response.content).decode()
    assert own_rows(html) == ["Bob "]
    assert html.count("<tr><th scope=row>Participant number") == pagecache.ROWS_PER_CHUNK * 3
    assert "<tr><th scope=row>Zoe" in html


# --- Logged-in visitors (accounts on): the shared page of their variant, their parts in slots.


@pytest.fixture
def accounts_on(settings: object) -> object:
    settings.ACCOUNTS_ENABLED = True  # type: ignore[attr-defined]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    return settings


def member(username: str, display_name: str = "") -> Client:
    """A client logged in as a new user (with a profile, as the accounts app makes one)."""
    from accounts.conftest import client_for, make_user

    return client_for(make_user(username, display_name=display_name))


def account_links(html: str) -> list[str]:
    return re.findall(r'href="(/[^"]+/entry/\d+/account/)" class="account-edit"', html)


def name_field(html: str) -> str:
    found = re.search(r'<input type="text" name="name"[^>]*>', html)
    assert found, "no name field"
    return found.group(0)


def cached_text(poll: Poll) -> bytes:
    """Everything the page cache holds of this poll, raw."""
    return b"".join(
        stretch.raw
        for key, ((_version, cached), _size) in pagecache.pages._items.items()
        if key[1] == poll.slug  # type: ignore[index]
        for stretch in cached.stretches
    )


def test_it_serves_members_from_the_shared_page_each_with_only_their_own_parts(
    accounts_on: object,
) -> None:
    poll = make_poll()
    page(poll)  # the stranger's page, cached before anyone logs in
    olga = member("olga", "Olga Organiser")
    nick = member("nick")
    yes = poll.choices.order_by("order").first()
    assert yes is not None
    fields = {"name": "whatever", **{f"o{o.pk}": str(yes.pk) for o in poll.options.all()}}
    assert olga.post(f"/{poll.slug}/answer/", fields).status_code == 302
    olga_entry = poll.entries.get()
    assert olga_entry.name == "Olga Organiser" and olga_entry.user is not None
    olga_html = olga.get(f"/{poll.slug}/").content.decode()
    nick_html = nick.get(f"/{poll.slug}/").content.decode()
    stranger = page(fresh(poll))
    # Her account's answer, its link for the account, her row, her name in the form.
    assert account_links(olga_html) == [f"/{poll.slug}/entry/{olga_entry.pk}/account/"]
    assert own_rows(olga_html) == ["Olga Organiser "]
    assert 'value="Olga Organiser"' in name_field(olga_html)
    assert "readonly" in name_field(olga_html)
    assert re.search(r'id="nav-settings">olga<', olga_html)
    # nick: his name, nothing of hers but her public row.
    assert account_links(nick_html) == [] and own_rows(nick_html) == []
    assert 'value="nick"' in name_field(nick_html) and "readonly" in name_field(nick_html)
    assert re.search(r'id="nav-settings">nick<', nick_html) and "olga" not in nick_html
    assert edit_links(nick_html) == [] and 'id="you"' not in nick_html
    # The stranger: no account, no name, a field to type one.
    assert "olga" not in stranger and "nick" not in stranger
    assert account_links(stranger) == [] and own_rows(stranger) == []
    assert "readonly" not in name_field(stranger) and 'id="nav-login"' in stranger
    # The cache holds no one's name, link or account: its pages are per variant, not person.
    held = cached_text(poll)
    assert b"olga" not in held and b"nick" not in held and b"/account/" not in held
    assert {key[-1] for key in pagecache.pages._items if key[1] == poll.slug} == {
        pagecache.Variant(False, True),
        pagecache.Variant(True, True),
    }
    # Her link for the account works, for her only.
    assert olga.get(account_links(olga_html)[0]).status_code == 200
    assert nick.get(account_links(olga_html)[0]).status_code == 404


def _masked(html: str) -> str:
    """CSRF tokens masked, runs of white space made one space (an empty slot leaves out the
    blank line that an empty include writes) and empty values left out (an empty slot in the
    comment form's name writes `value=""`, a field without a value nothing)."""
    html = re.sub(r'value="[A-Za-z0-9]{64}"', 'value="T"', html).replace(' value=""', "")
    return re.sub(r"\s+", " ", html)


def test_a_member_gets_what_a_page_of_their_own_showed(
    accounts_on: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Character for character (CSRF tokens and white space aside) what a full render for the member shows: the owner
    with the manage button and the watch form, a member who answered with the account and
    commented, one who did not, on open and invited-only polls."""
    from accounts.conftest import client_for, make_user
    from bitpoll.polls import views
    from bitpoll.polls.models import Invitation

    accounts_on.MAIL_ENABLED = True  # type: ignore[attr-defined]
    users = {name: make_user(name, display_name=name.title()) for name in ("olga", "ivan", "nick")}
    clients = {name: client_for(user) for name, user in users.items()}
    open_poll = make_poll(owner=users["olga"])
    invited = make_poll(owner=users["olga"], answer_access=Poll.AnswerAccess.INVITED)
    Invitation.objects.create(poll=invited, user=users["ivan"])
    members_only = make_poll(answer_access=Poll.AnswerAccess.ACCOUNTS, one_answer_per_account=True)
    # The test client keeps one cookie per name, whatever its path: ivan's entry and comment
    # cookies are those of the last poll, the invited-only one (checked below).
    for poll in (open_poll, members_only, invited):
        services.add_entry(poll, "Bob", yes_to_all(poll))
        yes = poll.choices.order_by("order").first()
        fields = {"name": "x", **{f"o{o.pk}": str(yes.pk) for o in poll.options.all()}}  # type: ignore[union-attr]
        assert clients["ivan"].post(f"/{poll.slug}/answer/", fields).status_code == 302
        comment_as(clients["ivan"], poll, "Ivan", "Thursday suits me")
        clients["olga"].post(f"/{poll.slug}/watch/", {"watch": "on"})
    personas = [*clients.values(), Client()]
    seen = {}
    for poll in (open_poll, members_only, invited):
        for client in personas:
            client.get(f"/{poll.slug}/")  # spends the flash messages
        cached = [client.get(f"/{poll.slug}/").content.decode() for client in personas]
        monkeypatch.setattr(
            pagecache,
            "serve",
            lambda request, slug, render: views._render_poll(request, views.access.get_poll(slug)),
        )
        rendered = [client.get(f"/{poll.slug}/").content.decode() for client in personas]
        monkeypatch.undo()
        for mine, theirs in zip(cached, rendered, strict=True):
            a, b = _masked(mine), _masked(theirs)
            if a != b:
                i = next(i for i in range(min(len(a), len(b))) if a[i] != b[i])
                print("DIFF", a[i - 300 : i + 200], "\n=====\n", b[i - 300 : i + 200])
            assert _masked(mine) == _masked(theirs)
        seen[poll.slug] = cached
    owner_html, ivan_html, nick_html, _stranger = seen[invited.slug]
    assert 'id="manage-poll"' in owner_html and 'id="unwatch-submit"' in owner_html
    assert 'id="answer-form"' in ivan_html and account_links(ivan_html)
    assert "comment-delete-" in ivan_html and "comment-delete-" not in owner_html
    assert 'id="answer-form"' not in nick_html and 'id="answer-refused"' in nick_html
    # Logged-in people only: every member may answer, the stranger is asked to log in.
    *logged_in, stranger = seen[members_only.slug]
    assert all('id="answer-form"' in html for html in logged_in)
    assert 'id="answer-form"' not in stranger and 'id="nav-login"' in stranger
    assert 'href="/accounts/login/?next=' in stranger


def test_a_logged_in_non_member_of_an_invited_only_poll_sees_no_form(accounts_on: object) -> None:
    from accounts.conftest import client_for, make_user
    from bitpoll.accounts.models import Group, Membership
    from bitpoll.polls.models import Invitation

    olga, mia, ivan, nick = (make_user(n) for n in ("olga", "mia", "ivan", "nick"))
    group = Group.objects.create(name="Council", slug="council")
    Membership.objects.create(group=group, user=mia)
    poll = make_poll(owner=olga, owner_group=group, answer_access=Poll.AnswerAccess.INVITED)
    Invitation.objects.create(poll=poll, user=ivan)
    seen = {
        name: client_for(user).get(f"/{poll.slug}/").content.decode()
        for name, user in (("nick", nick), ("ivan", ivan), ("mia", mia), ("olga", olga))
    }
    assert 'id="answer-form"' not in seen["nick"] and 'id="answer-refused"' in seen["nick"]
    assert 'id="manage-poll"' not in seen["nick"] and 'id="nav-login"' not in seen["nick"]
    assert 'id="answer-form"' in seen["ivan"] and 'id="manage-poll"' not in seen["ivan"]
    for manager in ("mia", "olga"):
        assert 'id="answer-form"' in seen[manager] and 'id="manage-poll"' in seen[manager]
    stranger = page(poll)
    assert 'id="answer-form"' not in stranger and 'id="nav-login"' in stranger


def test_an_invalid_session_cookie_gets_the_strangers_page(
    accounts_on: object,
    django_assert_num_queries: Callable,  # type: ignore[type-arg]
) -> None:
    from django.conf import settings

    poll = make_poll()
    services.add_entry(poll, "Bob", yes_to_all(poll))
    stranger = page(poll)
    forged = Client()
    forged.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    # The session is looked up (and not found), then the stranger's cached page is served.
    with django_assert_num_queries(2):
        html = forged.get(f"/{poll.slug}/").content.decode()
    assert _masked(html) == _masked(stranger)
    assert [key[-1] for key in pagecache.pages._items if key[1] == poll.slug] == [
        pagecache.Variant(False, True)
    ]


def test_a_member_sees_their_flash_message_once(accounts_on: object) -> None:
    poll = make_poll()
    page(poll)
    olga = member("olga")
    olga.post(f"/{poll.slug}/watch/", {"watch": "on"})
    assert "You watch this poll" in olga.get(f"/{poll.slug}/").content.decode()
    assert "You watch this poll" not in olga.get(f"/{poll.slug}/").content.decode()
    assert "You watch this poll" not in page(fresh(poll))


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("name", ["Bob", "", '<b>Ann & "Eve" O\'Neil</b>'])
@pytest.mark.parametrize("edit_url", ["/p/entry/7/tok-en_/", ""])
def test_the_you_box_is_what_its_template_renders(
    language: str, name: str, edit_url: str, settings: object
) -> None:
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.utils import translation

    from bitpoll.polls.pagecache import OwnEntry, _you

    own = OwnEntry(pk=7, name=name, edit_token_hash="x")
    settings.ALLOWED_HOSTS = ["127.0.0.1", "polls.example.org"]  # type: ignore[attr-defined]
    for host in ("127.0.0.1", "polls.example.org"):
        request = RequestFactory(SERVER_NAME=host).get("/p/", HTTP_HOST=host)
        with translation.override(language):
            full = render_to_string(
                "polls/_you.html", {"own_entry": own, "edit_url": edit_url}, request
            )
            assert _you(request, own, edit_url).decode() == full
            assert _you(request, own, edit_url).decode() == full  # from the kept box


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("watching", [None, False, True])
@pytest.mark.parametrize("manages", [False, True])
@pytest.mark.parametrize("prefix", ["/", "/polls/"])
def test_the_account_parts_are_what_their_template_renders(
    language: str, watching: bool | None, manages: bool, prefix: str
) -> None:
    from django.template.loader import render_to_string
    from django.urls import set_script_prefix
    from django.utils import translation

    from bitpoll.polls import access
    from bitpoll.polls.models import Poll
    from bitpoll.polls.pagecache import AccountEntry, AccountView, Visitor, _account_parts

    poll = Poll(pk=3, slug="lunch-x", title="Lunch", admin_token_hash="h")
    entries = (AccountEntry(5, '<b>Ann & "Eve"</b>'), AccountEntry(6, ""))
    for listed in (entries, ()):
        if not (manages or listed or watching is not None):
            continue
        account = AccountView(
            username="ann", display_name="Ann", entries=listed, manages=manages, watching=watching
        )
        for token in ("tok" + "a" * 61, "tok" + "b" * 61):
            visitor = Visitor(
                csrf_token=token, own=None, edit_url="", token_hashes=frozenset(), account=account
            )
            set_script_prefix(prefix)
            try:
                with translation.override(language):
                    full = render_to_string(
                        "polls/_account.html",
                        {
                            "poll": poll,
                            "manage_url": poll.admin_url(access.ACCOUNT_TOKEN) if manages else "",
                            "watching": watching,
                            "account_entries": listed,
                            "csrf_token": token,
                        },
                    )
                    assert _account_parts(poll, visitor).decode() == full
                    assert _account_parts(poll, visitor).decode() == full  # from the kept box
            finally:
                set_script_prefix("/")
