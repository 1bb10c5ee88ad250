"""Forms validate; services.py writes. Every field is listed explicitly."""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bitpoll.mail import outbox
from bitpoll.polls.models import (
    Choice,
    DeletedSlug,
    Option,
    Poll,
    known_time_zones,
    validate_slug,
    validate_time_zone,
)
from bitpoll.polls.names import name_key
from bitpoll.polls.options import MAX_OPTIONS, ParsedOption, local_to_utc, parse_lines
from bitpoll.polls.services import Answer, ChoiceData


@functools.cache
def time_zones() -> list[str]:
    """The zones the time zone menus offer. Listed on first use rather than at import: listing
    the zone database's files was the costliest line of `bitpoll serve`'s imports."""
    return [
        *sorted(
            z for z in known_time_zones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
        ),
        "UTC",
    ]


SCALES = (("default", _("Yes / If need be / No")), ("yesno", _("Yes / No")))


# The control characters below 32 but tab, line feed and carriage return.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class _NoControlChars:
    """Reject NUL and other control characters that databases and CSV readers choke on."""

    def clean_text(self, value: str) -> str:
        if _CONTROL_CHARS.search(value):
            raise ValidationError(_("Remove the control characters from this text."))
        return value


def _text(value: str) -> str:
    return _NoControlChars().clean_text(value)


def past_options(parsed: Iterable[ParsedOption], zone: zoneinfo.ZoneInfo) -> list[str]:
    """The lines of the options that lie in the past: dates before today in `zone`, times
    that have begun. Text options are never in the past."""
    now = timezone.now()
    today = now.astimezone(zone).date()
    past = []
    for option in parsed:
        if option.date is not None and option.date < today:
            past.append(option.date.isoformat())
        elif option.start is not None and option.start < now:
            past.append(f"{option.start.astimezone(zone):%Y-%m-%d %H:%M}")
    return past


def refuse_past(
    form: forms.Form, field: str, parsed: list[ParsedOption], zone: zoneinfo.ZoneInfo
) -> bool:
    """Options in the past are usually a typo (a wrong year or month), so they are refused
    until the creator ticks `keep_past`, which the templates show only after this warning.
    Return whether the warning was given."""
    past = past_options(parsed, zone)
    if not past or form.cleaned_data.get("keep_past"):
        return False
    shown = ", ".join(past[:5]) + (", …" if len(past) > 5 else "")
    form.add_error(
        field,
        ValidationError(
            _(
                "These options are in the past: %(options)s. Correct them, or tick "
                "“Keep the options in the past” and submit again."
            ),
            code="past",
            params={"options": shown},
        ),
    )
    return True


def _keep_past_field() -> forms.BooleanField:
    return forms.BooleanField(label=_("Keep the options in the past"), required=False)


class _DeadlineMixin:
    """`deadline` is typed as wall-clock time in the poll's zone; store the aware instant."""

    cleaned_data: dict[str, Any]

    def _deadline(self, zone_name: str | None) -> dt.datetime | None:
        value = self.cleaned_data.get("deadline")
        if value is None or zone_name is None:
            return None
        try:
            zone = zoneinfo.ZoneInfo(zone_name)
            naive = value.replace(tzinfo=None)
            return local_to_utc(naive.date(), naive.hour, naive.minute, zone)
        except (ValueError, OverflowError):
            raise ValidationError({"deadline": _("Enter a valid date and time.")}) from None


class SettingsFields(_DeadlineMixin, forms.Form):
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Optional. No answers are accepted after it. In the poll's time zone."),
    )
    anonymous = forms.BooleanField(label=_("Allow answering without a name"), required=False)
    one_answer_per_name = forms.BooleanField(label=_("Only one answer per name"), required=False)
    results_visibility = forms.ChoiceField(
        label=_("Who sees the results"), choices=Poll.Visibility.choices, initial="always"
    )
    hide_participant_names = forms.BooleanField(
        label=_("Hide participants' names from everyone but the admin"), required=False
    )
    allow_comments = forms.BooleanField(label=_("Allow comments"), required=False, initial=True)
    require_all_answers = forms.BooleanField(
        label=_("Every option needs an answer"),
        required=False,
        help_text=_("Participants cannot skip an option."),
    )
    participant_order = forms.ChoiceField(
        label=_("Order of participants in the results"),
        choices=Poll.ParticipantOrder.choices,
        initial=Poll.ParticipantOrder.TIME,
        required=False,  # older forms and scripts leave it out: by time
    )
    summary_only = forms.BooleanField(
        label=_("Show only the totals"),
        required=False,
        help_text=_("Everyone but the admin sees how many chose each answer, not who."),
    )
    listed_publicly = forms.BooleanField(
        label=_("List this poll publicly on the home page"),
        required=False,
        help_text=_(
            "Anyone visiting this site can then find and answer it. Only the public link is shown."
        ),
    )

    def settings(self, zone_name: str) -> dict[str, object]:
        data = self.cleaned_data
        anonymous = bool(data.get("anonymous"))
        return {
            "deadline": self._deadline(zone_name),
            "allow_anonymous": anonymous,
            "require_name": not anonymous,
            "one_answer_per_name": bool(data.get("one_answer_per_name")),
            "results_visibility": data.get("results_visibility", Poll.Visibility.ALWAYS),
            "hide_participant_names": bool(data.get("hide_participant_names")),
            "allow_comments": bool(data.get("allow_comments")),
            "listed_publicly": bool(data.get("listed_publicly")),
            "require_all_answers": bool(data.get("require_all_answers")),
            "participant_order": data.get("participant_order") or Poll.ParticipantOrder.TIME,
            "summary_only": bool(data.get("summary_only")),
        }


class PollCreateForm(SettingsFields):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Optional. Markdown: *emphasis*, lists, links."),
    )
    kind = forms.ChoiceField(
        label=_("Type"), choices=Poll.Kind.choices, initial="date", widget=forms.RadioSelect
    )
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        initial="UTC",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
        help_text=_("For dates and times, e.g. Europe/Berlin or America/New_York."),
    )
    options = forms.CharField(
        label=_("Options"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_(
            "One per line. Dates: 2026-05-04. Dates and times: 2026-05-04 09:00 or "
            "2026-05-04 09:00-10:30. Text: anything; “Lunch/Pizza” groups under “Lunch”, "
            "write \\/ for a slash."
        ),
    )
    scale = forms.ChoiceField(label=_("Answers"), choices=SCALES, initial="default")
    slug = forms.CharField(
        label=_("Custom link name"),
        max_length=80,
        required=False,
        help_text=_("Optional: lowercase letters, digits and hyphens. Otherwise a random one."),
    )
    keep_past = _keep_past_field()
    # Mail (shown only when the server sends mail).
    creator_email = forms.EmailField(
        label=_("Your e-mail address"),
        required=False,
        help_text=_(
            "Optional: we send you the admin link, and it lets you ask for it again if you lose it."
        ),
    )
    watch = forms.BooleanField(
        label=_("Tell me about new answers and comments (at most one mail every few minutes)"),
        required=False,
        initial=True,
    )
    remind_hours = forms.IntegerField(
        label=_("Remind invitees and watchers this many hours before the deadline"),
        required=False,
        min_value=1,
        max_value=720,
    )

    field_order = [
        "title", "description", "kind", "options", "time_zone", "scale", "deadline", "anonymous",
        "one_answer_per_name", "results_visibility", "hide_participant_names", "allow_comments",
        "slug", "listed_publicly", "keep_past", "require_all_answers", "creator_email", "watch",
        "remind_hours",
    ]  # fmt: skip
    past_warning = False

    def clean_title(self) -> str:
        return _text(self.cleaned_data["title"].strip())

    def clean_description(self) -> str:
        return _text(self.cleaned_data["description"])

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        validate_time_zone(value)
        return value

    def clean_slug(self) -> str:
        value = self.cleaned_data["slug"].strip()
        if value:
            validate_slug(value)
            if Poll.objects.filter(slug=value).exists() or DeletedSlug.blocks(value):
                raise ValidationError(_("This link name is taken. Pick another."))
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        zone_name = data.get("time_zone")
        kind = data.get("kind")
        if zone_name and kind and "options" in data:
            try:
                data["parsed_options"] = parse_lines(
                    kind, data["options"], zoneinfo.ZoneInfo(zone_name)
                )
            except ValidationError as exc:
                self.add_error("options", exc)
            else:
                if not data["parsed_options"]:
                    self.add_error("options", _("Add at least one option."))
                else:
                    self.past_warning = refuse_past(
                        self, "options", data["parsed_options"], zoneinfo.ZoneInfo(zone_name)
                    )
        if zone_name:
            try:
                data["settings"] = self.settings(zone_name)
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


class PollEditForm(SettingsFields):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown: *emphasis*, lists, links."),
    )
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )

    # Mail (removed when the server sends none).
    creator_email = forms.EmailField(
        label=_("Your e-mail address"),
        required=False,
        help_text=_("Optional: lets you ask for your admin link again if you lose it."),
    )
    remind_hours = forms.IntegerField(
        label=_("Remind invitees and watchers this many hours before the deadline"),
        required=False,
        min_value=1,
        max_value=720,
    )

    field_order = [
        "title", "description", "time_zone", "deadline", "anonymous", "one_answer_per_name",
        "results_visibility", "hide_participant_names", "allow_comments", "listed_publicly",
        "require_all_answers", "creator_email", "remind_hours",
    ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not outbox.enabled():
            del self.fields["creator_email"], self.fields["remind_hours"]

    @classmethod
    def initial_for(cls, poll: Poll) -> dict[str, object]:
        deadline = (
            poll.deadline.astimezone(poll.zone).replace(tzinfo=None) if poll.deadline else None
        )
        return {
            "title": poll.title,
            "description": poll.description,
            "time_zone": poll.time_zone,
            "deadline": deadline,
            "anonymous": poll.allow_anonymous,
            "one_answer_per_name": poll.one_answer_per_name,
            "results_visibility": poll.results_visibility,
            "hide_participant_names": poll.hide_participant_names,
            "allow_comments": poll.allow_comments,
            "listed_publicly": poll.listed_publicly,
            "require_all_answers": poll.require_all_answers,
            "creator_email": poll.creator_email,
            "remind_hours": poll.remind_hours,
            "participant_order": poll.participant_order,
            "summary_only": poll.summary_only,
        }

    def clean_title(self) -> str:
        return _text(self.cleaned_data["title"].strip())

    def clean_description(self) -> str:
        return _text(self.cleaned_data["description"])

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        validate_time_zone(value)
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("time_zone"):
            try:
                data["settings"] = self.settings(data["time_zone"])
            except ValidationError as exc:
                self.add_error(None, exc)
        return data

    def fields_to_save(self) -> dict[str, object]:
        data = self.cleaned_data
        fields: dict[str, object] = {
            "title": data["title"],
            "description": data["description"],
            "time_zone": data["time_zone"],
        }
        fields.update(data["settings"])
        if "creator_email" in self.fields:
            fields["creator_email"] = data.get("creator_email") or ""
            fields["remind_hours"] = data.get("remind_hours")
        return fields


class ChoiceIdField(forms.Field):
    """The id of one of the poll's choices, or nothing; the template draws the radios."""

    widget = forms.RadioSelect
    default_error_messages = {
        "invalid_choice": forms.ChoiceField.default_error_messages["invalid_choice"],
    }

    def __init__(self, valid: frozenset[str]) -> None:
        super().__init__(required=False)
        self.valid = valid

    def to_python(self, value: Any) -> str:
        return "" if value in self.empty_values else str(value)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and value not in self.valid:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )


def _comment_field() -> forms.CharField:
    return forms.CharField(label=_("Comment"), max_length=200, required=False)


class AnswerForm(forms.Form):
    """A name plus, per visible option, a choice (radio) and an optional comment.

    The inputs are named `o<option id>` and `c<option id>`. Validating needs only the ids, so
    that the answer view can build this form from two small queries; the options themselves
    are given only where the form is shown, and the template lays out `option_rows`.

    The per-option inputs are cleaned by one field of each kind, and become fields of the form
    only when they are shown or carry an error: creating and cleaning two Django fields per
    option cost about 75 µs an option, 4.5 ms for each answer to a poll of 60 options.
    """

    def __init__(
        self,
        *args: Any,
        poll: Poll,
        option_ids: Sequence[int],
        choice_ids: Iterable[int],
        options: Sequence[Option] = (),
        entry_id: int | None = None,
        taken_names: set[str] | frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.poll = poll
        self.option_ids = option_ids
        self.options = options
        self.entry_id = entry_id
        self.taken_names = taken_names
        self.name_required = poll.name_required
        # Made here rather than declared: a declared field is deep-copied for every form,
        # which costs several times as much as making it.
        self.fields["name"] = forms.CharField(
            label=_("Your name"),
            max_length=80,
            required=self.name_required,
            widget=forms.TextInput(attrs={"placeholder": _("Your name"), "autocomplete": "name"}),
        )
        self.valid_choices = frozenset(str(pk) for pk in choice_ids)
        self._cleaning_fields: dict[str, forms.Field] = {}  # see _cleaning_field
        if outbox.enabled():
            self.fields["email"] = forms.EmailField(
                label=_("Your e-mail address"),
                required=False,
                help_text=_("Optional: get the decision and a copy of your edit link."),
            )

    @staticmethod
    def quick(
        data: Any,
        *,
        poll: Poll,
        option_ids: Sequence[int],
        choice_ids: Iterable[int],
        taken_names: set[str] | frozenset[str] = frozenset(),
    ) -> dict[str, Any] | None:
        """The cleaned data of a plainly valid answer, as the form would clean it; None for
        anything the form might refuse or clean otherwise (then ask the form).

        Most answers name valid choices, leave the comments empty, and give an ordinary
        name; making the form and its fields only to find that cost a tenth of an answer.
        `tests/polls/test_answer_form.py` checks with Hypothesis that whatever this returns is
        what a valid form returns.
        """
        raw_name = data.get("name")
        if not isinstance(raw_name, str) or len(raw_name) > 80 or _CONTROL_CHARS.search(raw_name):
            return None  # not text, too long or with control characters: the form decides
        name = " ".join(raw_name.split())
        key = name_key(name)
        if not key and (name or poll.name_required):
            return None  # invisible or required: the form says so
        if poll.one_answer_per_name and name and key in taken_names:
            return None
        cleaned: dict[str, Any] = {"name": name}
        if outbox.enabled():
            if data.get("email"):
                return None  # an address the form checks
            cleaned["email"] = ""
        valid = frozenset(str(pk) for pk in choice_ids)
        answers: dict[int, Answer] = {}
        for pk in option_ids:
            choice = data.get(f"o{pk}")
            comment = data.get(f"c{pk}")
            if comment is not None and comment != "":
                if type(comment) is not str:
                    return None
                comment = comment.strip()
                if len(comment) > 200 or _CONTROL_CHARS.search(comment):
                    return None
            else:
                comment = ""
            if choice is None or choice == "":
                if poll.require_all_answers or comment:
                    return None  # an error for this option
                continue
            if type(choice) is not str or choice not in valid:
                return None
            answers[pk] = Answer(int(choice), comment)
        if not answers:
            return None
        cleaned["answers"] = answers
        return cleaned

    def _option_field(self, name: str) -> str:
        """Make `o<id>` or `c<id>` a field of this form (for showing it); return the name."""
        if name not in self.fields:
            self.fields[name] = (
                ChoiceIdField(self.valid_choices) if name[0] == "o" else _comment_field()
            )
        return name

    def clean_name(self) -> str:
        name = " ".join(_text(self.cleaned_data["name"]).split())
        key = name_key(name)
        if name and not key:  # only invisible characters
            if self.name_required:
                raise ValidationError(self.fields["name"].error_messages["required"])
            name = ""
        # taken_names holds name keys the database refused (services.NameTaken): names are
        # never checked against other answers before the answer is complete, so that an
        # invalid form cannot be used to find out who has answered.
        if self.poll.one_answer_per_name and name and key in self.taken_names:
            raise ValidationError(
                _(
                    "Someone named “%(name)s” has already answered. Use your edit link to change that answer."
                ),
                params={"name": name},
            )
        return name

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        answers: dict[int, Answer] = {}
        for pk in self.option_ids:
            cleaned = self._clean_option(pk)
            if cleaned is None:
                continue
            choice, comment = cleaned
            if choice:
                answers[pk] = Answer(int(choice), comment)
            elif self.poll.require_all_answers and not self.has_error(f"o{pk}"):
                self.add_error(self._option_field(f"o{pk}"), _("Pick an answer for this option."))
            elif comment:
                self.add_error(
                    self._option_field(f"c{pk}"), _("Pick an answer for this option too.")
                )
        if not answers and not self.errors:
            raise ValidationError(_("Answer at least one option."))
        data["answers"] = answers
        return data

    def _clean_option(self, pk: int) -> tuple[str, str] | None:
        """The choice (an id, or "") and the comment sent for one option, their errors added
        to the form; None when the comment is refused.

        The fields are made only for a value they must look at: an answer usually names
        valid choices and leaves the comments empty, which is what they would say of it.
        """
        o, c = self.add_prefix(f"o{pk}"), self.add_prefix(f"c{pk}")
        raw = self.data.get(o)
        if raw is None or raw == "" or (type(raw) is str and raw in self.valid_choices):
            choice = raw or ""
        else:
            try:
                choice = self._cleaning_field("o").clean(raw)
            except ValidationError as error:
                self.add_error(self._option_field(f"o{pk}"), error)
                choice = ""
        raw = self.data.get(c)
        if raw is None or raw == "":
            return choice, ""
        try:
            return choice, _text(self._cleaning_field("c").clean(raw))
        except ValidationError as error:
            self.add_error(self._option_field(f"c{pk}"), error)
            return None

    def _cleaning_field(self, kind: str) -> forms.Field:
        """The one field of each kind ("o" choices, "c" comments) that cleans every option's
        value, made on first use."""
        made = self._cleaning_fields
        if kind not in made:
            made[kind] = ChoiceIdField(self.valid_choices) if kind == "o" else _comment_field()
        return made[kind]

    def has_comments(self) -> bool:
        """Whether a comment on an option was typed (or refused), to show the comment fields."""
        return any(self.data.get(self.add_prefix(f"c{pk}")) for pk in self.option_ids) or any(
            name.startswith("c") for name in self.errors
        )

    def option_rows(self) -> list[tuple[Option, forms.BoundField, forms.BoundField]]:
        return [
            (o, self[self._option_field(f"o{o.pk}")], self[self._option_field(f"c{o.pk}")])
            for o in self.options
        ]


# A name form-filling robots cannot resist; people never see the field (see _comments.html).
HONEYPOT_FIELD = "website"


class CommentForm(forms.Form):
    author = forms.CharField(label=_("Your name"), max_length=80)
    text = forms.CharField(
        label=_("Comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def clean_author(self) -> str:
        return " ".join(_text(self.cleaned_data["author"]).split())

    def clean_text(self) -> str:
        return _text(self.cleaned_data["text"].strip())

    def is_spam(self) -> bool:
        """Whether the honeypot field, hidden from people and screen readers, was filled in."""
        return bool(self.cleaned_data.get(HONEYPOT_FIELD))


class IdListField(forms.MultipleChoiceField):
    """Database ids ticked in a list; which ones exist is for the caller's query to say."""

    def valid_value(self, value: str) -> bool:
        return value.isascii() and value.isdigit() and len(value) <= 18

    def clean(self, value: Any) -> list[int]:
        return [int(v) for v in super().clean(value)]


class BulkCommentDeleteForm(forms.Form):
    comment = IdListField(label=_("Comments"))


class AddOptionsForm(forms.Form):
    lines = forms.CharField(
        label=_("Add options"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("One per line, in the same format as when creating the poll."),
    )
    keep_past = _keep_past_field()

    def __init__(self, *args: Any, poll: Poll, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.poll = poll
        self.past_warning = False

    def clean_lines(self) -> list[ParsedOption]:
        parsed = parse_lines(self.poll.kind, self.cleaned_data["lines"], self.poll.zone)
        if not parsed:
            raise ValidationError(_("Add at least one option."))
        if self.poll.options.count() + len(parsed) > MAX_OPTIONS * 2:
            raise ValidationError(_("This poll has too many options already."))
        return parsed

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if data.get("lines"):
            self.past_warning = refuse_past(self, "lines", data["lines"], self.poll.zone)
        return data


class RenameOptionForm(forms.Form):
    line = forms.CharField(
        label=_("New text"),
        max_length=400,
        help_text=_("“Group/Name” puts it under a heading; write \\/ for a slash."),
    )

    def clean_line(self) -> ParsedOption:
        line = _text(self.cleaned_data["line"].strip())
        parsed = parse_lines("text", line, zoneinfo.ZoneInfo("UTC"))
        if len(parsed) != 1:
            raise ValidationError(_("Enter one line of text."))
        return parsed[0]


class ChoiceForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    label = forms.CharField(label=_("Label"), max_length=60, required=False)
    # New rows default to a look the default scales do not use.
    colour = forms.ChoiceField(label=_("Colour"), choices=Choice.Colour.choices, initial="b")
    icon = forms.ChoiceField(label=_("Icon"), choices=Choice.Icon.choices, initial="q")
    weight = forms.DecimalField(
        label=_("Weight"),
        min_value=Decimal(0),
        max_value=Decimal(1),
        max_digits=4,
        decimal_places=3,
        initial=Decimal(0),
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )
    position = forms.IntegerField(label=_("Position"), min_value=1, max_value=12, required=False)
    remove = forms.BooleanField(label=_("Remove"), required=False)

    def clean_label(self) -> str:
        return _text(self.cleaned_data["label"].strip())

    def data_or_none(self) -> ChoiceData | None:
        d = self.cleaned_data
        if not d or not d.get("label") or d.get("remove"):
            return None
        return ChoiceData(d["label"], d["colour"], d["icon"], d["weight"], d.get("position"))


class BaseScaleFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, poll: Poll, used: set[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.poll = poll
        self.used = used

    def clean(self) -> None:
        if any(self.errors):
            return
        ids = {c.pk for c in self.poll.choices.all()}
        kept = 0
        looks: set[tuple[str, str]] = set()
        for form in self.forms:
            cid = form.cleaned_data.get("id")
            if cid is not None and cid not in ids:
                raise ValidationError(_("The scale changed meanwhile; reload the page."))
            data = form.data_or_none()
            if data is not None:
                kept += 1
                if (data.colour, data.icon) in looks:
                    raise ValidationError(
                        _(
                            "Give each answer its own combination of colour and icon, so that the results table can tell them apart."
                        )
                    )
                looks.add((data.colour, data.icon))
            elif cid in self.used:
                raise ValidationError(
                    _(
                        "“%(label)s” is used in answers, so it cannot be removed; rename it instead."
                    ),
                    params={"label": form.cleaned_data.get("label") or cid},
                )
        if kept < 2:
            raise ValidationError(_("A scale needs at least two answers."))

    def result(self) -> tuple[dict[int, ChoiceData], list[ChoiceData]]:
        """The kept answers by id and the new ones, each with its final position.

        A row's position is its place unless a number is given; a row moved to a taken
        place goes before the row that was there (as when swapping two numbers, one of
        them is typed first)."""
        rows: list[tuple[tuple[int, int, int], int | None, ChoiceData]] = []
        for index, form in enumerate(self.forms, start=1):
            data = form.data_or_none()
            if data is None:
                continue
            wanted = data.position if data.position is not None else index
            key = (wanted, 0 if wanted != index else 1, index)
            rows.append((key, form.cleaned_data.get("id"), data))
        rows.sort(key=lambda row: row[0])
        keep: dict[int, ChoiceData] = {}
        add: list[ChoiceData] = []
        for position, (_key, cid, data) in enumerate(rows, start=1):
            placed = data._replace(position=position)
            if cid is None:
                add.append(placed)
            else:
                keep[cid] = placed
        return keep, add


ScaleFormSet: type[BaseScaleFormSet] = forms.formset_factory(  # type: ignore[assignment]
    ChoiceForm, formset=BaseScaleFormSet, extra=0, max_num=10, validate_max=True, absolute_max=12
)


class CopyForm(forms.Form):
    title = forms.CharField(label=_("Title of the copy"), max_length=200)
    days = forms.IntegerField(
        label=_("Move dates by (days)"),
        min_value=-3650,
        max_value=3650,
        initial=7,
        help_text=_("For example 7 to move every option one week later; 0 keeps them."),
    )

    def clean_title(self) -> str:
        return _text(self.cleaned_data["title"].strip())


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, delete this poll with all its answers and comments"),
        required=True,
        error_messages={
            "required": _(
                "To delete the poll, tick “Yes, delete this poll” and press “Delete the poll” "
                "again. To keep it, press Cancel."
            )
        },
    )


# --- Mail: decision, invitations, admin link recovery ---


class DecideForm(forms.Form):
    options = forms.TypedMultipleChoiceField(
        label=_("The decision"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    message = forms.CharField(
        label=_("Message"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, poll: Poll, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(o.pk, o.label) for o in poll.options.filter(is_deleted=False)]
        field = self.fields["options"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = choices

    def clean_location(self) -> str:
        return _text(self.cleaned_data["location"].strip())

    def clean_message(self) -> str:
        return _text(self.cleaned_data["message"].strip())


MAX_INVITATIONS = 200


class InviteForm(forms.Form):
    addresses = forms.CharField(
        label=_("E-mail addresses"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("Separated by commas, spaces or new lines. Each gets a personal link."),
    )

    def clean_addresses(self) -> list[str]:
        from django.core.validators import validate_email

        found: list[str] = []
        bad: list[str] = []
        for raw in self.cleaned_data["addresses"].replace(",", " ").replace(";", " ").split():
            address = raw.strip("<>")
            try:
                validate_email(address)
            except ValidationError:
                bad.append(raw)
            else:
                if address.lower() not in {a.lower() for a in found}:
                    found.append(address)
        if bad:
            raise ValidationError(
                _("These are not e-mail addresses: %(bad)s"), params={"bad": ", ".join(bad[:10])}
            )
        if not found:
            raise ValidationError(_("Enter at least one e-mail address."))
        if len(found) > MAX_INVITATIONS:
            raise ValidationError(
                _("At most %(max)d addresses at once."), params={"max": MAX_INVITATIONS}
            )
        return found


class RecoveryForm(forms.Form):
    email = forms.EmailField(label=_("The e-mail address you gave when creating the poll"))


class AccessForm(forms.Form):
    """Who may answer, and how answers are tied to accounts (shown with accounts on)."""

    answer_access = forms.ChoiceField(
        label=_("Who may answer"), choices=Poll.AnswerAccess.choices, widget=forms.RadioSelect
    )
    one_answer_per_account = forms.BooleanField(
        label=_("Only one answer per account"), required=False
    )
    edit_requires_account = forms.BooleanField(
        label=_("Participants may not change answers without an account"),
        required=False,
        help_text=_("Edit links stop working; answers made while logged in stay editable."),
    )

    @classmethod
    def initial_for(cls, poll: Poll) -> dict[str, object]:
        return {
            "answer_access": poll.answer_access,
            "one_answer_per_account": poll.one_answer_per_account,
            "edit_requires_account": poll.edit_requires_account,
        }


class AccountInviteForm(forms.Form):
    invitee = forms.CharField(
        label=_("Invite a user or group"),
        max_length=254,
        help_text=_("A user name, an account's e-mail address, or a group's short name."),
    )
