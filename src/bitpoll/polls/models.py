"""Polls and their answers.

Data model (backup/restore and the benchmark rely on it):

- Poll: one question. `slug` is the public link (/<slug>/); `admin_token_hash` is the SHA-256 of
  the secret in the admin link (/<slug>/admin/<token>/). `kind` is date, datetime or text;
  `time_zone` is an IANA name used to show and parse date-and-time options. `deadline` (aware,
  nullable) and `is_closed` stop new answers. Settings: one_answer_per_name, require_name,
  allow_anonymous, results_visibility, hide_participant_names, allow_comments, listed_publicly
  (opt-in: the home page lists the poll's public link). `description` is
  Markdown; `description_html` caches its sanitised rendering. `version` is bumped by every write
  that changes what the poll page shows (use `touch()` or the functions in services.py), so the
  results grid can be cached under (pk, version).
- Choice: one step of the answer scale (yes / if need be / no by default): label, colour and icon
  from fixed sets, weight in [0, 1], order.
- Option: one thing to answer on. Date polls use `date` (a DateField, so it never shifts);
  datetime polls use `start` and optional `end` (aware, stored in UTC); text polls use `text`
  and an optional `group` heading. `is_deleted` hides an option without losing its votes.
- Entry: one participant's answer set: `name` (blank when anonymous) and `edit_token_hash`;
  `name_key` is the normalised name (see names.py) in polls with one answer per name, unique
  per poll, and empty otherwise.
- Vote: the Choice an Entry gave to an Option, with an optional comment; one per (entry, option).
- Comment: a remark on the poll, optionally tied to an Entry; deletable by whoever holds the
  secret whose hash is `edit_token_hash` (the entry's secret when tied to it) or by the admin.

Accounts (bitpoll.accounts) reach polls only through these fields and models:

- Poll.owner / Poll.owner_group: the user who created the poll while logged in, and the group it
  was handed to (whose members then manage it); both null for anonymous polls, whose admin link
  works as ever (and keeps working for owned polls). Access settings: `answer_access` (anyone
  with the link, logged-in people only, invited people only), `one_answer_per_account`, and
  `edit_requires_account` (answers cannot be changed through edit links, only by their account).
- Entry.user: the account an answer was made with (null for anonymous answers); such an answer
  shows the account's current display name and is edited by logging in, no edit link needed.
- Invitation: a user, a group or an e-mail address invited to a poll. E-mail invitations carry a
  personal link whose secret's hash is `token_hash`; `reminded`/`reminder_count` limit reminders.
- Watch: a user or an e-mail address told about new answers and comments; `token_hash` is the
  hash of the secret in its unsubscribe link; `notified` is when the last batch went out.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Collection
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

from bitpoll.polls import when

RESERVED_SLUGS = frozenset(
    {
        "accounts",
        "admin",
        "api",
        "about",
        "favicon.ico",
        "healthz",
        "help",
        "i18n",
        "login",
        "logout",
        "media",
        "new",
        "robots.txt",
        "static",
    }
)
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,78})[a-z0-9]$")


def validate_slug(value: str) -> None:
    if not SLUG_RE.match(value):
        raise ValidationError(
            _(
                "Use 3 to 80 lowercase letters, digits and hyphens, not starting or ending with a hyphen."
            ),
            code="invalid_slug",
        )
    if value in RESERVED_SLUGS:
        raise ValidationError(
            _("“%(slug)s” is reserved. Pick another."), code="reserved", params={"slug": value}
        )


@functools.cache
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def validate_time_zone(value: str) -> None:
    # Only names from the zone database's list: ZoneInfo() itself opens whatever path it is
    # given, and "Europe" (a directory) or "zone1970.tab" raise errors other than "not found".
    try:
        if value not in known_time_zones():
            raise ValueError(value)
        zoneinfo.ZoneInfo(value)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        raise ValidationError(
            _("“%(zone)s” is not a known time zone. Use a name like Europe/Berlin or UTC."),
            code="invalid_time_zone",
            params={"zone": value},
        ) from None


ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h3", "h4", "hr", "i", "li", "ol",
    "p", "pre", "strong", "ul",
}  # fmt: skip


# CommonMark, whose parser is built for untrusted input: its cost grows linearly with the
# text, where Python-Markdown took seconds on a few kilobytes of nested brackets. Raw HTML is
# shown as text and images are off (no third-party requests); nh3 still has the last word.
# Built on first use, not at import: a description is rendered only when it changes, and
# importing the parser cost the server's start-up tens of milliseconds.
@functools.cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.disable("image")
    return parser


def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML without images or raw HTML."""
    html = _markdown().render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "abbr": {"title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


class AnswerAccess(models.TextChoices):
    ANYONE = "anyone", _("Everyone with the link")
    ACCOUNTS = "accounts", _("Only people who are logged in")
    INVITED = "invited", _("Only invited people")


def poll_path(slug: str) -> str:
    """`reverse("polls:poll", args=[slug])`, remembered per link name.

    Every answer redirects to its poll and every participant's page holds their edit link:
    reversing took about 0.1 ms each time, as much as the page cache's query. The key holds
    what else reverse() depends on (the URL configuration, the script prefix).
    """
    return _poll_path(str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix(), slug)


@functools.lru_cache(maxsize=4096)
def _poll_path(urlconf: str, prefix: str, slug: str) -> str:
    return reverse("polls:poll", args=[slug])


def entry_path(slug: str, entry_id: int, token: str) -> str:
    """`reverse("polls:entry", args=[slug, entry_id, token])`, from the poll's path (the
    entry's URL pattern extends it), the token quoted as reverse() quotes it."""
    if not token or "/" in token:
        return reverse("polls:entry", args=[slug, entry_id, token])  # raises NoReverseMatch
    return f"{poll_path(slug)}entry/{int(entry_id)}/{quote(token, safe=_REVERSE_SAFE)}/"


_REVERSE_SAFE = RFC3986_SUBDELIMS + "/~:@"


class Poll(models.Model):
    AnswerAccess = AnswerAccess

    class Kind(models.TextChoices):
        DATE = "date", _("Dates")
        DATETIME = "datetime", _("Dates and times")
        TEXT = "text", _("Free text")

    class Visibility(models.TextChoices):
        ALWAYS = "always", _("Everyone with the link")
        AFTER_ANSWER = "after_answer", _("Only participants who answered")
        ADMIN_ONLY = "admin_only", _("Only the admin")

    class ParticipantOrder(models.TextChoices):
        TIME = "time", _("In the order they answered")
        NAME = "name", _("By name")

    slug = models.CharField(_("link name"), max_length=80, unique=True, validators=[validate_slug])
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    description_html = models.TextField(blank=True, editable=False)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.DATE)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    is_closed = models.BooleanField(_("closed"), default=False)
    one_answer_per_name = models.BooleanField(_("one answer per name"), default=False)
    require_name = models.BooleanField(_("require a name"), default=True)
    allow_anonymous = models.BooleanField(_("allow anonymous answers"), default=False)
    results_visibility = models.CharField(
        _("who sees the results"),
        max_length=16,
        choices=Visibility.choices,
        default=Visibility.ALWAYS,
    )
    hide_participant_names = models.BooleanField(_("hide participant names"), default=False)
    allow_comments = models.BooleanField(_("allow comments"), default=True)
    require_all_answers = models.BooleanField(_("every option needs an answer"), default=False)
    listed_publicly = models.BooleanField(_("listed on the home page"), default=False)
    # The results' presentation: rows by time or name; or only the totals per option.
    participant_order = models.CharField(
        _("order of participants"),
        max_length=8,
        choices=ParticipantOrder.choices,
        default=ParticipantOrder.TIME,
    )
    summary_only = models.BooleanField(_("show only the totals"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_polls",
        verbose_name=_("owner"),
    )
    owner_group = models.ForeignKey(
        "accounts.Group",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="polls",
        verbose_name=_("owning group"),
    )
    answer_access = models.CharField(
        _("who may answer"),
        max_length=16,
        choices=AnswerAccess.choices,
        default=AnswerAccess.ANYONE,
    )
    one_answer_per_account = models.BooleanField(_("one answer per account"), default=False)
    edit_requires_account = models.BooleanField(
        _("answers can be changed only by their account"), default=False
    )
    admin_token_hash = models.CharField(max_length=64, editable=False)
    # --- Mail and a poll's life (bitpoll.mail; see "A poll's life" below) ---
    creator_email = models.EmailField(_("your e-mail address"), blank=True, default="")
    language = models.CharField(max_length=10, default="en", editable=False)
    decided = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    decision_message = models.TextField(_("message"), max_length=2000, blank=True, default="")
    decision_location = models.CharField(_("location"), max_length=200, blank=True, default="")
    # iCalendar SEQUENCE of the decided events: bumped on every change and on un-finalizing.
    ics_sequence = models.PositiveIntegerField(default=0, editable=False)
    remind_hours = models.PositiveSmallIntegerField(
        _("remind before the deadline (hours)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
    )
    deadline_reminded = models.DateTimeField(null=True, blank=True, editable=False)
    auto_closed = models.DateTimeField(null=True, blank=True, editable=False)
    retention_warned = models.DateTimeField(null=True, blank=True, editable=False)
    recovery_token_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    recovery_expires = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(default=timezone.now, editable=False)
    # The description that description_html was rendered from (see save()).
    _rendered_description: str | None

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["date", "datetime", "text"]), name="polls_poll_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Rendered only when the description changed: closing or reopening a poll, or any
        # other save, must not pay for Markdown again.
        update_fields = kwargs.get("update_fields")
        if (update_fields is None or "description" in update_fields) and (
            "description" in self.__dict__
            and self.description != getattr(self, "_rendered_description", None)
        ):
            self.description_html = render_markdown(self.description)
            self._rendered_description = self.description
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "description_html"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return poll_path(self.slug)

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Poll:
        poll = super().from_db(db, field_names, values, **kwargs)
        # The text description_html was rendered from (None when the description is deferred).
        poll._rendered_description = poll.__dict__.get("description")
        return poll

    def clean(self) -> None:
        super().clean()
        if self.require_name and self.allow_anonymous:
            raise ValidationError(
                {
                    "allow_anonymous": _(
                        "Anonymous answers cannot be allowed while a name is required."
                    )
                }
            )

    def admin_url(self, token: str) -> str:
        return reverse("polls:admin", args=[self.slug, token])

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def name_required(self) -> bool:
        return self.require_name or not self.allow_anonymous

    def deadline_passed(self, now: dt.datetime | None = None) -> bool:
        return self.deadline is not None and (now or timezone.now()) >= self.deadline

    @property
    def is_open(self) -> bool:
        return not self.is_closed and not self.deadline_passed()

    def touch(self) -> None:
        """Record that what the poll page shows has changed (invalidates cached results)."""
        from bitpoll.polls import sql  # sql builds its statements from these models

        now = timezone.now()
        sql.touch(self.pk, now)
        self.version += 1
        self.updated = now

    @property
    def is_decided(self) -> bool:
        return self.decided is not None

    def final_options(self) -> list[Option]:
        return list(self.options.filter(is_final=True, is_deleted=False))

    def close(self) -> None:
        self.is_closed = True
        self.save(update_fields=["is_closed"])
        self.touch()

    def reopen(self) -> None:
        self.is_closed = False
        self.save(update_fields=["is_closed"])
        self.touch()


CELL_CLASSES = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class Choice(models.Model):
    class Colour(models.TextChoices):
        GREEN = "g", _("Green")
        AMBER = "a", _("Amber")
        RED = "r", _("Red")
        BLUE = "b", _("Blue")
        PURPLE = "p", _("Purple")
        TEAL = "t", _("Teal")
        GREY = "n", _("Grey")

    class Icon(models.TextChoices):
        CHECK = "y", _("Check mark")
        TILDE = "m", _("Tilde")
        CROSS = "x", _("Cross")
        QUESTION = "q", _("Question mark")
        STAR = "s", _("Star")
        HEART = "h", _("Heart")
        CLOCK = "c", _("Clock")
        DASH = "d", _("Dash")

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="choices")
    label = models.CharField(_("label"), max_length=60)
    colour = models.CharField(
        _("colour"), max_length=1, choices=Colour.choices, default=Colour.GREY
    )
    icon = models.CharField(_("icon"), max_length=1, choices=Icon.choices, default=Icon.QUESTION)
    weight = models.DecimalField(
        _("weight"),
        max_digits=4,
        decimal_places=3,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("How much this answer counts towards an option's score, from 0 to 1."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("answer choice")
        verbose_name_plural = _("answer choices")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=1), name="polls_choice_weight_0_1"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def shown_label(self) -> str:
        """The label in the visitor's language when it is one of the default answers
        (written in whichever language the poll was created in), else as the creator wrote it."""
        label = self.label
        # A label in English (the default language) is its own source: no other language's
        # catalog is needed to show it, so the first page in English loads none.
        source = label if label in _source_labels() else _default_labels().get(label)
        return gettext(source) if source is not None else label

    @property
    def css(self) -> str:
        """One character naming (colour, icon): the class of a results cell (see polls.css).

        A big poll has thousands of cells, so every byte of their markup counts.
        """
        colour = self.Colour.values.index(self.colour)
        icon = self.Icon.values.index(self.icon)
        return CELL_CLASSES[colour * len(self.Icon.values) + icon]


DEFAULT_SCALE = (
    (_("Yes"), Choice.Colour.GREEN, Choice.Icon.CHECK, Decimal(1)),
    (_("If need be"), Choice.Colour.AMBER, Choice.Icon.TILDE, Decimal("0.5")),
    (_("No"), Choice.Colour.RED, Choice.Icon.CROSS, Decimal(0)),
)
YES_NO_SCALE = (
    (_("Yes"), Choice.Colour.GREEN, Choice.Icon.CHECK, Decimal(1)),
    (_("No"), Choice.Colour.RED, Choice.Icon.CROSS, Decimal(0)),
)


@functools.cache
def _source_labels() -> frozenset[str]:
    """The default answers' labels in English, their sources."""
    with translation.override("en"):
        return frozenset(str(label) for label, *_rest in DEFAULT_SCALE + YES_NO_SCALE)


@functools.cache
def _default_labels() -> dict[str, str]:
    """Each default answer's label in every language Bitpoll speaks -> its English source."""
    sources = _source_labels()
    found: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for source in sources:
                found.setdefault(gettext(source), source)
    for source in sources:
        found[source] = source
    return found


class Option(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    date = models.DateField(null=True, blank=True)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    text = models.CharField(max_length=200, blank=True)
    group = models.CharField(max_length=100, blank=True)
    order = models.PositiveIntegerField(default=0)
    is_deleted = models.BooleanField(default=False)
    # Part of the poll's decision (see Poll.decided).
    is_final = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("option")
        verbose_name_plural = _("options")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(start__isnull=False, end__gt=F("start")),
                name="polls_option_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def sort_key(self) -> tuple[Any, ...]:
        if self.date is not None:
            return (0, self.date.isoformat(), "")
        if self.start is not None:
            return (1, self.start.isoformat(), self.end.isoformat() if self.end else "")
        return (2, "", "")

    @property
    def label(self) -> str:
        """Plain-text label in the poll's time zone; for CSV, ICS summaries and messages."""
        if self.date is not None:
            return when.day(self.date)
        if self.start is not None:
            return when.span(self.start, self.end, self.poll.zone)
        return f"{self.group} / {self.text}" if self.group else self.text

    @property
    def iso(self) -> str:
        return self.start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if self.start else ""

    @property
    def iso_end(self) -> str:
        return self.end.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if self.end else ""

    def as_line(self) -> str:
        """The line that creates this option again (see options.parse_lines)."""
        if self.date is not None:
            return self.date.isoformat()
        if self.start is not None:
            zone = self.poll.zone
            start = self.start.astimezone(zone)
            line = f"{start:%Y-%m-%d %H:%M}"
            if self.end is not None:
                line += f"-{self.end.astimezone(zone):%H:%M}"
            return line
        text = self.text.replace("/", "\\/")
        return f"{self.group.replace('/', chr(92) + '/')}/{text}" if self.group else text


class Entry(models.Model):
    # Indexed by polls_entry_poll_created below, whose first column it is.
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="entries", db_index=False)
    name = models.CharField(_("name"), max_length=80, blank=True)
    # names.name_key(name) in polls with one answer per name, else empty: the constraint below
    # then lets only one answer per poll hold each key, however many requests race.
    name_key = models.CharField(max_length=255, blank=True, default="", editable=False)
    edit_token_hash = models.CharField(max_length=64, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="poll_entries",
        verbose_name=_("account"),
    )
    # Optional: the participant gets the decision and a copy of their edit link here.
    # Defaults in the database too: answers are inserted by hand-written SQL (sql.py).
    email = models.EmailField(_("e-mail address"), blank=True, default="", db_default="")
    language = models.CharField(max_length=10, default="en", db_default="en", editable=False)
    # The account's id in polls with one answer per account, else null: the constraint below
    # then lets only one answer per poll hold it, however many requests race.
    account_key = models.BigIntegerField(null=True, blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(default=timezone.now, editable=False)
    # The votes folded into one string for reading pages (bitpoll.polls.fold): emptied by
    # triggers on polls_vote whenever a vote changes (a migration that rebuilds that table
    # on SQLite drops them: tests/perf/test_fold.py checks they are there).
    folded = models.TextField(blank=True, default="", db_default="", editable=False)

    class Meta:
        ordering = ["created", "pk"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [models.Index(fields=["poll", "created"], name="polls_entry_poll_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "name_key"],
                condition=~Q(name_key=""),
                name="polls_entry_one_answer_per_name",
            ),
            models.UniqueConstraint(
                fields=["poll", "account_key"],
                condition=Q(account_key__isnull=False),
                name="polls_entry_one_answer_per_account",
            ),
        ]

    def __str__(self) -> str:
        return self.name or str(_("Anonymous"))


class Vote(models.Model):
    # Indexed by the unique (entry, option) constraint below, whose first column it is.
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="votes", db_index=False)
    option = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="votes")
    # RESTRICT, not PROTECT: a used choice cannot be deleted alone, but deleting its poll
    # (which deletes the votes too, through their entries) is allowed, in the Django admin too.
    choice = models.ForeignKey(Choice, on_delete=models.RESTRICT, related_name="votes")
    comment = models.CharField(_("comment"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["entry", "option"], name="polls_vote_one_per_option"),
        ]
        indexes = [
            # The few votes with a comment, per answer: rendering a poll reads them for each
            # answer, and without this read every vote of it to find none (a third of the
            # answers query of a big poll on SQLite). Costs nothing for votes without one.
            # bitpoll.polls.page's statement spells the condition the same way, which SQLite
            # needs to use the index.
            models.Index(fields=["entry"], condition=~Q(comment=""), name="polls_vote_noted"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}/{self.option_id}: {self.choice_id}"


class Comment(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="comments")
    entry = models.ForeignKey(
        Entry, on_delete=models.SET_NULL, null=True, blank=True, related_name="comments"
    )
    author = models.CharField(_("name"), max_length=80)
    text = models.TextField(_("comment"), max_length=2000)
    edit_token_hash = models.CharField(max_length=64, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:40]}"

    @property
    def text_html(self) -> str:
        """The comment's Markdown as sanitised HTML (see bitpoll.polls.markup)."""
        from bitpoll.polls.markup import render_comment  # markup imports this module

        return render_comment(self.text)


class DeletedSlug(models.Model):
    """The link name of a deleted poll, kept for TOMBSTONE_DAYS so that nobody can take it over.

    Old links keep circulating in mails and calendars after a poll is deleted; whoever
    registered the same name at once would receive the answers meant for the old poll.
    """

    TOMBSTONE_DAYS = 180

    slug = models.CharField(max_length=80, unique=True)
    deleted = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("deleted link name")
        verbose_name_plural = _("deleted link names")

    def __str__(self) -> str:
        return self.slug

    @classmethod
    def blocks(cls, slug: str, now: dt.datetime | None = None) -> bool:
        """Whether `slug` belonged to a poll deleted less than TOMBSTONE_DAYS ago."""
        since = (now or timezone.now()) - dt.timedelta(days=cls.TOMBSTONE_DAYS)
        return cls.objects.filter(slug=slug, deleted__gt=since).exists()

    @classmethod
    def record(cls, slug: str, now: dt.datetime | None = None) -> None:
        """Keep `slug` out of use; forget the names whose period is over."""
        now = now or timezone.now()
        cls.objects.filter(deleted__lte=now - dt.timedelta(days=cls.TOMBSTONE_DAYS)).delete()
        cls.objects.update_or_create(slug=slug, defaults={"deleted": now})


class Invitation(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="poll_invitations",
    )
    group = models.ForeignKey(
        "accounts.Group",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="poll_invitations",
    )
    email = models.EmailField(_("e-mail address"), blank=True, default="")
    # SHA-256 of the secret in an e-mail invitee's personal link; empty for users and groups.
    token_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    reminded = models.DateTimeField(null=True, blank=True, editable=False)
    reminder_count = models.PositiveSmallIntegerField(default=0, editable=False)
    # The answer given through the personal link (who answered; reminders skip them).
    entry = models.ForeignKey(
        "Entry", on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations"
    )

    class Meta:
        ordering = ["created", "pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, group__isnull=True, email="")
                    | Q(user__isnull=True, group__isnull=False, email="")
                    | (Q(user__isnull=True, group__isnull=True) & ~Q(email=""))
                ),
                name="polls_invitation_one_invitee",
            ),
            models.UniqueConstraint(fields=["poll", "user"], name="polls_invitation_user_once"),
            models.UniqueConstraint(fields=["poll", "group"], name="polls_invitation_group_once"),
            models.UniqueConstraint(
                fields=["poll", "email"],
                condition=~Q(email=""),
                name="polls_invitation_email_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.poll_id}: {self.user_id or self.group_id or self.email}"


class Watch(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="watches")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="poll_watches",
    )
    email = models.EmailField(_("e-mail address"), blank=True, default="")
    # SHA-256 of the secret in the unsubscribe link.
    token_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    # When the last batch of news went out (None: never); batches are at most one per interval.
    notified = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created", "pk"]
        verbose_name = _("watch")
        verbose_name_plural = _("watches")
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False, email="") | (Q(user__isnull=True) & ~Q(email=""))),
                name="polls_watch_one_watcher",
            ),
            models.UniqueConstraint(fields=["poll", "user"], name="polls_watch_user_once"),
            models.UniqueConstraint(
                fields=["poll", "email"], condition=~Q(email=""), name="polls_watch_email_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.poll_id}: {self.user_id or self.email}"


@receiver(post_delete, sender=Poll)
def _poll_deleted(sender: type[Poll], instance: Poll, **kwargs: Any) -> None:
    # A signal, so that every way of deleting (admin link, Django admin, shell) leaves one.
    DeletedSlug.record(instance.slug)
