"""crispy_memo (issue 20): an unbound form's crispy markup, rendered once per process, is exactly
what crispy writes for every form of the case page, and never another form's."""

from typing import Any

import pytest
from django import forms
from django.template import Context, Template

from accounts.models import User
from reviews import selectors
from reviews.models import Case
from reviews.templatetags import form_memo
from reviews.views.reviewer import _blank_forms
from tests.factories import approvable_facts, make_case

MEMO = Template("{% load form_memo %}{{ form|crispy_memo }}")
CRISPY = Template("{% load crispy_forms_tags %}{{ form|crispy }}")


def case_forms(case: Case, user: User) -> dict[str, forms.Form]:
    case = selectors.reviewer_case(user, case.pk)
    overrides = selectors.effective_overrides(case)
    statuses = selectors.effective_statuses(case, overrides)
    return _blank_forms(case, statuses, overrides, user)


def render(template: Template, form: Any) -> str:
    return template.render(Context({"form": form}))


@pytest.fixture
def two_cases(riverside: User, lakeside: User, pharmacist: User) -> list[Case]:
    """A clean case, and one whose facts leave lines unknown (so its pend form is pre-filled
    with what to ask for and its deny form offers other lines)."""
    clean = make_case(riverside, claim_by=pharmacist)
    facts = approvable_facts()
    for name in ("fix_activity_value", "fix_activity_unit", "fix_activity_date", "imaging"):
        facts.pop(name)
    gaps = make_case(lakeside, facts=facts, claim_by=pharmacist)
    return [clean, gaps]


@pytest.mark.django_db
def test_it_writes_what_crispy_writes_for_every_case_page_form(
    two_cases: list[Case], pharmacist: User, director: User
) -> None:
    form_memo._cache.clear()
    seen: dict[str, set[str]] = {}
    for _ in range(2):  # the second pass is served from the cache
        for case in two_cases:
            for user in (pharmacist, director):
                for name, form in case_forms(case, user).items():
                    memo, crispy = render(MEMO, form), render(CRISPY, form)
                    assert memo == crispy, (name, case.reference, user.username)
                    seen.setdefault(name, set()).add(memo)
    assert form_memo._cache, "nothing was cached"
    # The cases differ, so their pend forms do: each got its own markup, not the other's.
    assert len(seen["pend"]) == 2


@pytest.mark.django_db
def test_it_keys_a_form_by_everything_it_shows(two_cases: list[Case], pharmacist: User) -> None:
    clean, gaps = (case_forms(case, pharmacist) for case in two_cases)
    assert form_memo.signature(clean["approve"]) == form_memo.signature(gaps["approve"])
    assert form_memo.signature(clean["pend"]) != form_memo.signature(gaps["pend"])
    relabelled = case_forms(two_cases[0], pharmacist)["approve"]
    relabelled.fields["reason"].label = "Something else"
    assert form_memo.signature(relabelled) != form_memo.signature(clean["approve"])
    assert "Something else" in render(MEMO, relabelled)


@pytest.mark.django_db
def test_it_renders_a_bound_form_afresh(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    blank = case_forms(case, pharmacist)["escalate"]
    render(MEMO, blank)
    typed = type(blank)({"escalate-reason": "<b>typed</b>"}, prefix="escalate")
    assert form_memo.signature(typed) is None
    assert render(MEMO, typed) == render(CRISPY, typed)
    assert "&lt;b&gt;typed&lt;/b&gt;" in render(MEMO, typed)
