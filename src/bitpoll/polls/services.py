"""Every write to a poll goes through here, so each one bumps `Poll.version` exactly once.

Views call these functions; forms only validate. The functions take already-validated values.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from bitpoll.core import prepared
from bitpoll.polls import fold, sql, tokens
from bitpoll.polls.models import (
    DEFAULT_SCALE,
    Choice,
    Comment,
    DeletedSlug,
    Entry,
    Option,
    Poll,
    Vote,
    render_markdown,
)
from bitpoll.polls.names import name_key
from bitpoll.polls.options import ParsedOption, shift

if TYPE_CHECKING:
    from bitpoll.ratelimit import limits

ScaleRow = tuple[object, str, str, Decimal]


class ChoiceData(NamedTuple):
    label: str
    colour: str
    icon: str
    weight: Decimal
    position: int | None = None  # where the answer goes on the scale; None keeps its place


class Answer(NamedTuple):
    choice_id: int
    comment: str = ""


class SlugTaken(Exception):
    """The custom link name was taken between validation and saving."""


class AccountTaken(Exception):
    """The poll takes one answer per account, and this account has answered."""


class NameTaken(Exception):
    """In a poll with one answer per name, another answer holds this name (see names.py)."""


def _name_key(poll: Poll, name: str) -> str:
    return name_key(name) if poll.one_answer_per_name else ""


def _name_taken(poll: Poll, key: str, entry_id: int | None = None) -> bool:
    """Whether the error just raised was the one-answer-per-name constraint."""
    if not key:
        return False
    others = poll.entries.filter(name_key=key)
    if entry_id is not None:
        others = others.exclude(pk=entry_id)
    return others.exists()


def sync_name_keys(poll: Poll) -> None:
    """Fill or clear the poll's name keys after its one-answer-per-name setting changed.

    Answers given before the setting was turned on may share a name; the oldest one holds the
    key and the others stay as they are (their key empty), so that nothing is lost.
    """
    entries = list(poll.entries.order_by("created", "pk"))
    seen: set[str] = set()
    for entry in entries:
        key = _name_key(poll, entry.name)
        entry.name_key = "" if key in seen else key
        seen.add(key)
    # Clear first so that moving a key from one answer to another never collides midway.
    poll.entries.exclude(name_key="").update(name_key="")
    Entry.objects.bulk_update([e for e in entries if e.name_key], ["name_key"], batch_size=500)


def _option_from(poll: Poll, parsed: ParsedOption, order: int) -> Option:
    return Option(
        poll=poll,
        date=parsed.date,
        start=parsed.start,
        end=parsed.end,
        text=parsed.text,
        group=parsed.group,
        order=order,
    )


@transaction.atomic
def create_poll(
    *,
    title: str,
    description: str,
    kind: str,
    time_zone: str,
    options: Sequence[ParsedOption],
    scale: Iterable[ScaleRow] = DEFAULT_SCALE,
    slug: str = "",
    **settings: object,
) -> tuple[Poll, str]:
    """Create a poll with its options and scale; return it and the raw admin secret."""
    raw, hashed = tokens.new_token()
    if slug and DeletedSlug.blocks(slug):
        raise SlugTaken(slug)
    poll = Poll(
        slug=slug or tokens.random_slug(),
        title=title,
        description=description,
        kind=kind,
        time_zone=time_zone,
        admin_token_hash=hashed,
        **settings,
    )
    try:
        with transaction.atomic():
            poll.save()
    except IntegrityError:
        raise SlugTaken(slug) from None
    Option.objects.bulk_create(_option_from(poll, o, i) for i, o in enumerate(options))
    Choice.objects.bulk_create(
        Choice(poll=poll, label=str(label), colour=colour, icon=icon, weight=weight, order=i)
        for i, (label, colour, icon, weight) in enumerate(scale)
    )
    return poll, raw


@transaction.atomic
def update_poll(poll: Poll, fields: Mapping[str, object]) -> None:
    was_one_per_name = poll.one_answer_per_name
    was_one_per_account = poll.one_answer_per_account
    for name, value in fields.items():
        setattr(poll, name, value)
    poll.save()
    if poll.one_answer_per_name != was_one_per_name:
        sync_name_keys(poll)
    if poll.one_answer_per_account != was_one_per_account:
        sync_account_keys(poll)
    poll.touch()


def sync_account_keys(poll: Poll) -> None:
    """Set account_key for the poll's current one-answer-per-account setting; where an account
    already answered twice, its first answer holds the key (the others stay as they are)."""
    poll.entries.exclude(account_key=None).update(account_key=None)
    if not poll.one_answer_per_account:
        return
    first: dict[int, int] = {}
    for pk, user_id in (
        poll.entries.exclude(user=None).order_by("created", "pk").values_list("pk", "user_id")
    ):
        first.setdefault(user_id, pk)
    for user_id, pk in first.items():
        Entry.objects.filter(pk=pk).update(account_key=user_id)


@transaction.atomic
def add_options(poll: Poll, options: Sequence[ParsedOption]) -> int:
    """Add the options not already there (restoring removed ones); return how many changed."""
    existing = {(o.date, o.start, o.end, o.text, o.group): o for o in poll.options.all()}
    last = poll.options.aggregate(m=Max("order"))["m"]
    order = -1 if last is None else last
    created: list[Option] = []
    restored = 0
    for parsed in options:
        key = (parsed.date, parsed.start, parsed.end, parsed.text, parsed.group)
        found = existing.get(key)
        if found is None:
            order += 1
            created.append(_option_from(poll, parsed, order))
        elif found.is_deleted:
            found.is_deleted = False
            found.save(update_fields=["is_deleted"])
            restored += 1
    Option.objects.bulk_create(created)
    if created and poll.kind != Poll.Kind.TEXT:
        _renumber(poll)
    if created or restored:
        poll.touch()
    return len(created) + restored


def _renumber(poll: Poll) -> None:
    options = sorted(poll.options.all(), key=Option.sort_key)
    for i, option in enumerate(options):
        option.order = i
    Option.objects.bulk_update(options, ["order"])


@transaction.atomic
def set_option_deleted(option: Option, deleted: bool) -> None:
    """Hide or show an option; its votes stay in the database either way."""
    option.is_deleted = deleted
    option.save(update_fields=["is_deleted"])
    option.poll.touch()


@transaction.atomic
def rename_option(option: Option, parsed: ParsedOption) -> None:
    """Change a text option's wording; its answers stay with it."""
    option.text, option.group = parsed.text, parsed.group
    option.save(update_fields=["text", "group"])
    option.poll.touch()


@transaction.atomic
def set_scale(poll: Poll, keep: Mapping[int, ChoiceData], add: Sequence[ChoiceData]) -> None:
    """Replace the scale: update the choices in `keep` (by id), delete the others, add `add`,
    in the order of their positions (those without one keep their place).

    Callers make sure no deleted choice has votes (Vote.choice is RESTRICTed).
    """
    existing = list(poll.choices.all())
    placed: list[tuple[int, int, Choice | None, ChoiceData]] = []
    for i, choice in enumerate(existing):
        data = keep.get(choice.pk)
        if data is None:
            choice.delete()
            continue
        placed.append((data.position if data.position is not None else i + 1, i, choice, data))
    for j, data in enumerate(add, start=len(existing)):
        placed.append((data.position if data.position is not None else j + 1, j, None, data))
    # Ties (two answers given the same position) keep the order the rows came in.
    placed.sort(key=lambda item: item[:2])
    for order, (_position, _index, found, data) in enumerate(placed):
        choice = found or Choice(poll=poll)
        choice.label, choice.colour, choice.icon, choice.weight = (
            data.label, data.colour, data.icon, data.weight,
        )  # fmt: skip
        choice.order = order
        choice.save()
    # Other choice ids can move the numbers the stored votes subtract (see fold).
    fold.refold(poll_ids=[poll.pk])
    poll.touch()


def add_entry(
    poll: Poll,
    name: str,
    answers: Mapping[int, Answer],
    admit: limits.Admission | None = None,
    user_id: int | None = None,
    email: str = "",
    language: str = "en",
    spans: sql.IdSpans | None = None,
) -> tuple[Entry, str]:
    """Store a participant's answers (option id -> answer); return the entry and its secret.

    `spans`: the poll's option and choice id ranges if the caller has read them (see
    fold.store).

    `admit`, if given, counts the rate limits first in the same transaction and refuses the
    answer with RateLimited (counted under the write lock the answer takes anyway; a refused
    answer is neither stored nor counted).
    Raises NameTaken when the poll takes one answer per name and the name is taken: decided
    by the database's unique constraint inside the write, so parallel requests store one.
    """
    raw, hashed = tokens.new_token()
    key = _name_key(poll, name)
    account_key = user_id if user_id is not None and poll.one_answer_per_account else None
    # In SQL written once (see sql.py): answers come in bursts, and the ORM's query
    # compilation was most of their cost.
    now = timezone.now()
    votes = [(oid, a.choice_id, a.comment) for oid, a in answers.items()]
    try:
        if connection.vendor == "postgresql":
            # Limits, entry, votes, folded votes and the poll's version: one statement.
            try:
                entry_id = sql.answer_in_one_call(
                    poll.pk,
                    name,
                    key,
                    hashed,
                    now,
                    votes,
                    user_id,
                    account_key,
                    email=email,
                    language=language,
                    folded=fold.folded(poll.pk, ((o, c) for o, c, _ in votes), spans=spans),
                    limits=admit.rows() if admit is not None else (),
                )
            except sql.LimitPassed as passed:
                if admit is not None:
                    admit.judge(passed.counts)  # raises RateLimited
                raise
            if admit is not None:
                admit.prune_if_due()
        else:
            # Nothing but hand-written statements inside (see prepared.transaction).
            with prepared.transaction():
                if admit is not None:
                    admit()
                # Entry, votes and the poll's new version.
                entry_id = sql.insert_answer(
                    poll.pk, name, key, hashed, now, votes, user_id, account_key,
                    email=email, language=language,
                )  # fmt: skip
                fold.store(poll.pk, entry_id, ((o, c) for o, c, _ in votes), spans=spans)
        poll.version += 1  # what Poll.touch() does besides the UPDATE
        poll.updated = now
    except IntegrityError:
        if account_key is not None and poll.entries.filter(account_key=account_key).exists():
            raise AccountTaken(name) from None
        if _name_taken(poll, key):
            raise NameTaken(name) from None
        raise
    entry = Entry(
        pk=entry_id,
        poll_id=poll.pk,
        name=name,
        name_key=key,
        user_id=user_id,
        account_key=account_key,
        edit_token_hash=hashed,
        created=now,
        updated=now,
        email=email,
        language=language,
    )
    return entry, raw


def update_entry(entry: Entry, name: str, answers: Mapping[int, Answer]) -> None:
    """Replace the answers on the given (visible) options; votes on removed options stay.

    Raises NameTaken as add_entry does when the new name belongs to another answer.
    """
    old = (entry.name, entry.name_key)
    entry.name = name
    if name != old[0]:
        entry.name_key = _name_key(entry.poll, name)
    try:
        with transaction.atomic():
            _update_entry(entry, answers)
    except IntegrityError:
        taken = _name_taken(entry.poll, entry.name_key, entry.pk)
        entry.name, entry.name_key = old
        if taken:
            raise NameTaken(name) from None
        raise


def _update_entry(entry: Entry, answers: Mapping[int, Answer]) -> None:
    entry.updated = timezone.now()
    entry.save(update_fields=["name", "name_key", "updated"])
    visible = list(entry.poll.options.filter(is_deleted=False).values_list("pk", flat=True))
    removed, _ = (
        entry.votes.filter(option_id__in=visible).exclude(option_id__in=list(answers)).delete()
    )
    current = {v.option_id: v for v in entry.votes.filter(option_id__in=list(answers))}
    new: list[Vote] = []
    changed: list[Vote] = []
    for oid, answer in answers.items():
        vote = current.get(oid)
        if vote is None:
            new.append(
                Vote(entry=entry, option_id=oid, choice_id=answer.choice_id, comment=answer.comment)
            )
        elif (vote.choice_id, vote.comment) != (answer.choice_id, answer.comment):
            vote.choice_id, vote.comment = answer.choice_id, answer.comment
            changed.append(vote)
    Vote.objects.bulk_create(new)
    Vote.objects.bulk_update(changed, ["choice", "comment"])
    if new or changed or removed:
        fold.refold(entry_ids=[entry.pk])
    entry.poll.touch()


@transaction.atomic
def delete_entry(entry: Entry) -> None:
    poll = entry.poll
    entry.delete()
    poll.touch()


@transaction.atomic
def add_comment(
    poll: Poll, author: str, text: str, entry: Entry | None, token_hash: str
) -> Comment:
    comment = Comment.objects.create(
        poll=poll, author=author, text=text, entry=entry, edit_token_hash=token_hash
    )
    poll.touch()
    return comment


@transaction.atomic
def delete_comment(comment: Comment) -> None:
    poll = comment.poll
    comment.delete()
    poll.touch()


@transaction.atomic
def delete_comments(poll: Poll, comment_ids: Iterable[int]) -> int:
    """Delete these comments of the poll (ids of other polls are ignored); return how many."""
    deleted, _ = poll.comments.filter(pk__in=list(comment_ids)).delete()
    if deleted:
        poll.touch()
    return deleted


def rerender_descriptions(using: str = "default") -> int:
    """Render every poll's description_html again from its Markdown; return how many changed.

    The stored HTML is output unescaped, so HTML that did not come from render_markdown (an
    edited backup archive, a row written by hand) must never reach a page: restore calls this.
    """
    changed = []
    for poll in Poll.objects.using(using).only("pk", "description", "description_html"):
        html = render_markdown(poll.description)
        if html != poll.description_html:
            poll.description_html = html
            changed.append(poll)
    Poll.objects.using(using).bulk_update(changed, ["description_html"], batch_size=200)
    return len(changed)


def delete_poll(poll: Poll) -> None:
    """Delete the poll with everything in it; its link name stays blocked (DeletedSlug)."""
    with transaction.atomic():
        poll.delete()


@transaction.atomic
def copy_poll(poll: Poll, title: str, days: int) -> tuple[Poll, str]:
    """A new poll with the same settings, scale and visible options moved by `days` days."""
    zone = zoneinfo.ZoneInfo(poll.time_zone)
    options = [
        shift(
            ParsedOption(date=o.date, start=o.start, end=o.end, text=o.text, group=o.group),
            days,
            zone,
        )
        for o in poll.options.filter(is_deleted=False)
    ]
    scale = [(c.label, c.colour, c.icon, c.weight) for c in poll.choices.all()]
    deadline = poll.deadline
    if deadline is not None and poll.kind != Poll.Kind.TEXT:
        deadline = shift(ParsedOption(start=deadline), days, zone).start
    return create_poll(
        title=title,
        description=poll.description,
        kind=poll.kind,
        time_zone=poll.time_zone,
        options=options,
        scale=scale,
        deadline=deadline,
        one_answer_per_name=poll.one_answer_per_name,
        require_name=poll.require_name,
        allow_anonymous=poll.allow_anonymous,
        results_visibility=poll.results_visibility,
        hide_participant_names=poll.hide_participant_names,
        allow_comments=poll.allow_comments,
        participant_order=poll.participant_order,
        summary_only=poll.summary_only,
    )
