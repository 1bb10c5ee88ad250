"""AnswerForm makes its per-option fields only for values they must look at (an empty
comment, a valid choice): the outcome is what those fields decide, for any input."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bitpoll.polls.forms import AnswerForm, ChoiceIdField, _comment_field, _text
from bitpoll.polls.services import Answer

from .conftest import make_poll


class FieldsForEveryValue(AnswerForm):
    """Each option's values cleaned as they were before: both fields clean every value."""

    def _clean_option(self, pk: int) -> tuple[str, str] | None:
        o, c = self.add_prefix(f"o{pk}"), self.add_prefix(f"c{pk}")
        try:
            choice = ChoiceIdField(self.valid_choices).clean(self.data.get(o))
        except ValidationError as error:
            self.add_error(self._option_field(f"o{pk}"), error)
            choice = ""
        try:
            return choice, _text(_comment_field().clean(self.data.get(c)))
        except ValidationError as error:
            self.add_error(self._option_field(f"c{pk}"), error)
            return None


VALUES = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "0", "x", "\x00", "a\x01b", "  spaced  ", "9" * 30, "é" * 201]),
    st.text(max_size=210),
)


@pytest.mark.django_db
@pytest.mark.parametrize("require_all", [False, True])
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_outcome_is_what_the_fields_decide(require_all: bool, data: st.DataObject) -> None:
    poll, _ = make_poll(kind="text", lines="A\nB\nC", require_all_answers=require_all)
    option_ids = list(poll.options.values_list("pk", flat=True))
    choice_ids = list(poll.choices.values_list("pk", flat=True))
    choice = st.one_of(VALUES, st.sampled_from([str(pk) for pk in choice_ids]))
    query = QueryDict(mutable=True)
    query["name"] = "Mia"
    for pk in option_ids:
        value = data.draw(choice)
        if value is not None:
            query[f"o{pk}"] = value
        comment = data.draw(VALUES)
        if comment is not None:
            query[f"c{pk}"] = comment
    forms = [
        cls(query, poll=poll, option_ids=option_ids, choice_ids=choice_ids)
        for cls in (AnswerForm, FieldsForEveryValue)
    ]
    fast, reference = forms
    assert fast.is_valid() == reference.is_valid()
    assert fast.errors.get_json_data() == reference.errors.get_json_data()
    assert fast.cleaned_data.get("answers") == reference.cleaned_data.get("answers")


NAMES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "",
            " ",
            "Mia",
            "  Mia  Ko ",
            "M\x00a",
            "\u200b",
            "\u200bMia",
            "\x1fMia",
            "é" * 80,
            "x" * 81,
        ]
    ),
    st.text(max_size=90),
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("require_all", "name_required", "mail"),
    [(False, False, False), (True, True, False), (False, True, True)],
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_quick_answer_is_what_the_form_cleans(
    require_all: bool, name_required: bool, mail: bool, data: st.DataObject, monkeypatch
) -> None:
    from bitpoll.mail import outbox

    monkeypatch.setattr(outbox, "enabled", lambda: mail)
    poll, _ = make_poll(
        kind="text", lines="A\nB\nC", require_all_answers=require_all, require_name=name_required
    )
    option_ids = list(poll.options.values_list("pk", flat=True))
    choice_ids = list(poll.choices.values_list("pk", flat=True))
    # Valid choices most of the time, so that many answers are plainly valid.
    valid = st.sampled_from([str(pk) for pk in choice_ids])
    choice = st.one_of(valid, valid, VALUES)
    query = QueryDict(mutable=True)
    for key, values in (
        ("name", NAMES),
        ("email", st.sampled_from([None, "", " ", "a@b.example"])),
    ):
        value = data.draw(values)
        if value is not None:
            query[key] = value
    for pk in option_ids:
        for key, values in (
            (f"o{pk}", choice),
            (f"c{pk}", st.one_of(st.none(), st.just(""), VALUES)),
        ):
            value = data.draw(values)
            if value is not None:
                query[key] = value
    quick = AnswerForm.quick(query, poll=poll, option_ids=option_ids, choice_ids=choice_ids)
    if quick is None:
        return
    form = AnswerForm(query, poll=poll, option_ids=option_ids, choice_ids=choice_ids)
    assert form.is_valid(), form.errors
    assert quick == {
        k: form.cleaned_data[k] for k in ("name", "email", "answers") if k in form.cleaned_data
    }


@pytest.mark.django_db
def test_an_ordinary_answer_takes_the_quick_way() -> None:
    poll, _ = make_poll(kind="text", lines="A\nB")
    option_ids = list(poll.options.values_list("pk", flat=True))
    choice_ids = list(poll.choices.values_list("pk", flat=True))
    query = QueryDict(mutable=True)
    query.update({"name": " Mia \t Ko ", f"o{option_ids[0]}": str(choice_ids[0])})
    query.update({f"c{option_ids[0]}": " late ", f"o{option_ids[1]}": "", f"c{option_ids[1]}": ""})
    quick = AnswerForm.quick(query, poll=poll, option_ids=option_ids, choice_ids=choice_ids)
    assert quick is not None
    assert quick["name"] == "Mia Ko"
    assert quick["answers"] == {option_ids[0]: Answer(choice_ids[0], "late")}
