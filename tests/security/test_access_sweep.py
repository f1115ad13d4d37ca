"""Every URL of the portal, as every role, as the other clinic and as nobody: allowed exactly where
the table below says, refused (401/403/404 or a redirect to a login page) everywhere else, and
never another clinic's data in a response body.

A new URL fails test_it_covers_every_url until it is added to the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from pas.models import Subscription
from pas.subscriptions import PAS_TOPIC
from reviews import services
from reviews.models import Case, Document
from reviews.tasks import generate_letter
from tests.conftest import client_for
from tests.factories import make_case, make_patient

ROLES = ("anonymous", "riverside", "lakeside", "phil", "dana", "audrey", "admin")
OWNER = frozenset({"riverside"})
CLINICS = frozenset({"riverside", "lakeside"})
REVIEWERS = frozenset({"phil", "dana"})
OVERSIGHT = frozenset({"audrey", "admin"})
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
CASE_READERS = OWNER | REVIEWERS | OVERSIGHT

# Riverside's patient: these must never reach anyone outside Riverside and the payer.
SECRET_NAME = "Zyxwvutsrq"
SECRET_MEMBER = "RIV-SECRET-7"


@dataclass(frozen=True)
class Rule:
    method: str
    allowed: frozenset[str]
    # "case", "draft", "document", "draft_document" (a fresh draft and one of its documents),
    # "decided", "codesystem", "subscription", "line" (a case and one of its checklist lines) or
    # "" (no kwargs)
    target: str = ""


TABLE: dict[str, Rule] = {
    "home": Rule("GET", SIGNED_IN),
    "healthz": Rule("GET", frozenset(ROLES)),
    "audit:log": Rule("GET", OVERSIGHT),
    "audit:log_csv": Rule("GET", OVERSIGHT),
    "audit:case": Rule("GET", OVERSIGHT, "case"),
    "audit:metrics": Rule("GET", OVERSIGHT),
    "audit:chain": Rule("GET", OVERSIGHT),
    "audit:metrics_csv": Rule("GET", OVERSIGHT),
    "audit:decisions_csv": Rule("GET", OVERSIGHT),
    "audit:public_report": Rule("GET", OVERSIGHT),
    "audit:public_report_csv": Rule("GET", OVERSIGHT),
    # Public on purpose: integrators read the API description before they have a token.
    "api:schema": Rule("GET", frozenset(ROLES)),
    "api:cases": Rule("GET", CLINICS),
    "api:case_detail": Rule("GET", OWNER, "case"),
    "api:case_submit": Rule("POST", OWNER, "draft"),
    "api:case_answer": Rule("POST", OWNER, "case"),
    "api:case_withdraw": Rule("POST", OWNER, "case"),
    "api:case_documents": Rule("POST", OWNER, "case"),
    "api:case_letter": Rule("GET", OWNER, "decided"),
    "api:document_file": Rule("GET", OWNER, "document"),
    "fhir:metadata": Rule("GET", frozenset(ROLES)),
    "fhir:submit": Rule("POST", CLINICS),
    "fhir:inquire": Rule("POST", CLINICS),
    "fhir:subscriptions": Rule("POST", CLINICS),
    "fhir:subscription": Rule("GET", OWNER, "subscription"),
    "fhir:questionnaire": Rule("GET", SIGNED_IN),
    "fhir:codesystem": Rule("GET", SIGNED_IN, "codesystem"),
    "prescriber:case_list": Rule("GET", CLINICS),
    "prescriber:patient_list": Rule("GET", CLINICS),
    "prescriber:patient_create": Rule("GET", CLINICS),
    "prescriber:case_create": Rule("GET", CLINICS),
    "prescriber:preview": Rule("POST", CLINICS),
    "prescriber:case_detail": Rule("GET", OWNER, "case"),
    "prescriber:case_edit": Rule("GET", OWNER, "draft"),
    "prescriber:case_preview": Rule("POST", OWNER, "draft"),
    "prescriber:case_submit": Rule("POST", OWNER, "draft"),
    "prescriber:document_upload": Rule("POST", OWNER, "draft"),
    "prescriber:document_remove": Rule("POST", OWNER, "draft_document"),
    "prescriber:case_answer": Rule("GET", OWNER, "case"),
    "prescriber:case_withdraw": Rule("GET", OWNER, "case"),
    "prescriber:letter_status": Rule("GET", OWNER, "decided"),
    # The appeal form of a decided case (an approval answers why it cannot be appealed).
    "prescriber:case_appeal": Rule("GET", OWNER, "decided"),
    "reviewer:queue": Rule("GET", REVIEWERS),
    "reviewer:case": Rule("GET", REVIEWERS, "case"),
    "reviewer:claim": Rule("POST", REVIEWERS, "case"),
    "reviewer:assign": Rule("POST", REVIEWERS, "case"),
    "reviewer:release": Rule("POST", REVIEWERS, "case"),
    "reviewer:pend": Rule("POST", REVIEWERS, "case"),
    "reviewer:escalate": Rule("POST", REVIEWERS, "case"),
    "reviewer:override": Rule("POST", REVIEWERS, "case"),
    "reviewer:rule_line": Rule("POST", REVIEWERS, "line"),
    "reviewer:identity": Rule("POST", REVIEWERS, "case"),
    "reviewer:approve": Rule("POST", REVIEWERS, "case"),
    "reviewer:deny": Rule("POST", REVIEWERS, "case"),
    "reviewer:letter_status": Rule("GET", REVIEWERS, "decided"),
    # Internal notes: written by reviewers only (auditors read them on the audit case page).
    "reviewer:note_add": Rule("POST", REVIEWERS, "case"),
    "document_download": Rule("GET", CASE_READERS, "document"),
    "document_inline": Rule("GET", CASE_READERS, "document"),
    "document_viewer": Rule("GET", CASE_READERS, "document"),
    "letter_download": Rule("GET", CASE_READERS, "decided"),
    "admin:index": Rule("GET", frozenset({"admin"})),
    # Everyone's own notifications and delivery choices (only their own rows are ever read).
    "notifications:inbox": Rule("GET", SIGNED_IN),
    "notifications:read": Rule("POST", SIGNED_IN),
    "notifications:preferences": Rule("GET", SIGNED_IN),
    # Everyone's own security page: failed log-ins, second factor, their own API tokens.
    "account": Rule("GET", SIGNED_IN),
    # Revokes the API token the request came with: no browser session reaches it.
    "api_token_sign_out": Rule("POST", frozenset()),
}

# Part of signing in itself: open to anyone by design, tested in tests/accounts/.
SIGN_IN_PAGES = {
    "login",
    "logout",
    "two_factor_verify",
    "two_factor_setup",
    "two_factor_enrol",
    "api_token_sign_in",
}


def url_names() -> Iterator[str]:
    def walk(patterns: list[Any], namespace: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or ""
                full = f"{namespace}:{inner}" if namespace and inner else namespace or inner
                yield from walk(pattern.url_patterns, full)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    for name in walk(get_resolver().url_patterns, ""):
        if not name.startswith("admin:") or name == "admin:index":
            yield name


def test_it_covers_every_url() -> None:
    assert set(url_names()) == set(TABLE) | SIGN_IN_PAGES


@pytest.fixture
def world(users: dict[str, User]) -> dict[str, Any]:
    """Riverside's decided case with a document and its letter, and a patient for new drafts."""
    riverside, phil = users["riverside"], users["phil"]
    patient = make_patient(
        riverside, member_id=SECRET_MEMBER, first_name=SECRET_NAME, last_name=SECRET_NAME
    )
    case = make_case(riverside, patient=patient, submit=False)
    document = attach(riverside, case)
    case = services.case_submit(actor=riverside, case=case)
    case = services.case_claim(actor=phil, case=case)
    decision = services.case_approve(actor=phil, case=case)
    generate_letter(decision.pk)  # the task itself, in this process: a real PDF
    return {"patient": patient, "decided": case, "document": document}


def attach(user: User, case: Case) -> Document:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("lab.pdf", b"%PDF-1.4\n% lab\n%%EOF\n")
    return services.document_attach(actor=user, case=case, upload=upload, kind="lab_report")


def target_kwargs(rule: Rule, world: dict[str, Any], users: dict[str, User]) -> dict[str, Any]:
    """A fresh Riverside case for each probe that may change one, the shared objects otherwise."""
    if rule.target == "codesystem":
        return {"system_id": "hemgenix-pa"}
    if rule.target == "subscription":
        riverside = users["riverside"]
        assert riverside.organization is not None
        subscription = Subscription.objects.create(
            organization=riverside.organization,
            created_by=riverside,
            topic=PAS_TOPIC,
            endpoint="https://ehr.riverside.example.org/pas-hook",
            content=Subscription.Content.ID_ONLY,
        )
        return {"subscription_id": str(subscription.pk)}
    if rule.target == "document":
        return {"pk": world["document"].pk}
    if rule.target == "draft_document":
        draft = make_case(users["riverside"], patient=world["patient"], submit=False)
        return {"pk": draft.pk, "document_pk": attach(users["riverside"], draft).pk}
    if rule.target == "decided":
        return {"pk": world["decided"].pk}
    if rule.target == "line":
        case = make_case(users["riverside"], patient=world["patient"])
        return {"pk": case.pk, "criterion": "excl_hiv"}
    if rule.target in ("case", "draft"):
        case = make_case(users["riverside"], patient=world["patient"], submit=rule.target == "case")
        return {"pk": case.pk}
    return {}


def client_as(role: str, users: dict[str, User]) -> Client:
    return Client() if role == "anonymous" else client_for(users[role])


def refused(response: Any) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = response.get("Location", "")
    return response.status_code == 302 and location.startswith(("/accounts/login", "/admin/login"))


def body_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_it_allows_exactly_the_roles_in_the_table(
    name: str, users: dict[str, User], world: dict[str, Any]
) -> None:
    rule = TABLE[name]
    outcomes: dict[str, int] = {}
    for role in ROLES:
        url = reverse(name, kwargs=target_kwargs(rule, world, users))
        client = client_as(role, users)
        response = client.get(url) if rule.method == "GET" else client.post(url, {})
        assert response.status_code != 405, f"{name} does not take {rule.method}"
        outcomes[role] = response.status_code
        body = body_of(response)
        if role not in CASE_READERS:
            # Never Riverside's patient for the other clinic or for nobody, whatever the status.
            assert SECRET_NAME.encode() not in body, (name, role)
            assert SECRET_MEMBER.encode() not in body, (name, role)
        assert refused(response) == (role not in rule.allowed), (name, role, outcomes)
