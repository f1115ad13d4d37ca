"""Internal notes on the reviewer's case page (issue 16): added in place with htmx, with
post/redirect/get without it; refused for the clinic, on drafts, and for text it cannot keep."""

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from reviews import services
from reviews.models import InternalNote
from tests.conftest import client_for
from tests.factories import make_case

HTMX = {"HX-Request": "true"}


def note_url(pk: int) -> str:
    return reverse("reviewer:note_add", args=[pk])


def test_it_adds_a_note_in_place_with_htmx(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)

    response = client_for(pharmacist).post(
        note_url(case.pk), {"note-body": "Weight confirmed by phone."}, headers=HTMX
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="notes"' in html and "<html" not in html  # the section alone, swapped in place
    assert "Weight confirmed by phone." in html
    assert "Note saved." in html
    assert "{#" not in html and "{%" not in html  # no template comment shown as text
    assert pharmacist.display_name in html
    assert timezone.localtime().strftime("%Z") in html  # the time says its zone
    assert InternalNote.objects.get(case=case).body == "Weight confirmed by phone."


def test_it_adds_a_note_and_redirects_without_javascript(riverside: User, director: User) -> None:
    case = make_case(riverside, claim_by=director)
    client = client_for(director)

    response = client.post(note_url(case.pk), {"note-body": "Second opinion asked."})

    assert response.status_code == 302
    assert response["Location"] == reverse("reviewer:case", args=[case.pk]) + "#notes"
    page = client.get(response["Location"]).content.decode()
    assert "Internal notes" in page and "Second opinion asked." in page


def test_it_lists_notes_newest_first_on_the_case_page(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.note_add(actor=pharmacist, case=case, body="First note")
    services.note_add(actor=pharmacist, case=case, body="Second note")

    page = client_for(pharmacist).get(reverse("reviewer:case", args=[case.pk])).content.decode()

    assert page.index("Second note") < page.index("First note")


def test_it_takes_a_note_on_a_decided_case(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.case_approve(actor=pharmacist, case=case)

    response = client_for(pharmacist).post(note_url(case.pk), {"note-body": "Infusion booked."})

    assert response.status_code == 302
    assert InternalNote.objects.filter(case=case).count() == 1


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "Write the note first"),
        ("   ", "Write the note first"),
        ("x" * 4001, "at most 4000 characters"),
        ("x" * 2_000_000, "at most 4000 characters"),
    ],
)
def test_it_refuses_a_note_it_cannot_keep_and_says_why(
    riverside: User, pharmacist: User, body: str, error: str
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    client = client_for(pharmacist)

    in_place = client.post(note_url(case.pk), {"note-body": body}, headers=HTMX)
    redirected = client.post(note_url(case.pk), {"note-body": body})

    assert in_place.status_code == 200 and error in in_place.content.decode()
    assert redirected.status_code == 302
    assert redirected["Location"].endswith("#notes")
    page = client.get(redirected["Location"]).content.decode()
    assert error in page  # the form comes back bound, with its error, at the GET
    assert not InternalNote.objects.exists()


def test_it_refuses_a_nul_byte_before_any_form_sees_it(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    client = client_for(pharmacist)

    for headers in (HTMX, {}):
        response = client.post(note_url(case.pk), {"note-body": "before\x00after"}, headers=headers)

        assert response.status_code == 400
        assert "NUL character" in response.content.decode()
    assert not InternalNote.objects.exists()


@pytest.mark.parametrize("user", ["riverside", "lakeside", "auditor"])
def test_it_refuses_a_note_from_anyone_but_a_reviewer(
    riverside: User, user: str, request: pytest.FixtureRequest
) -> None:
    case = make_case(riverside)
    actor: User = request.getfixturevalue(user)

    response = client_for(actor).post(note_url(case.pk), {"note-body": "Let me in"})

    assert response.status_code == 403
    assert not InternalNote.objects.exists()


@pytest.mark.parametrize("pk", ["draft", 999_999_999])
def test_it_answers_404_for_a_draft_or_a_case_that_does_not_exist(
    riverside: User, pharmacist: User, pk: Any
) -> None:
    if pk == "draft":
        pk = make_case(riverside, submit=False).pk

    response = client_for(pharmacist).post(note_url(pk), {"note-body": "Hello"})

    assert response.status_code == 404
    assert not InternalNote.objects.exists()


def test_it_refuses_a_get(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)

    assert client_for(pharmacist).get(note_url(case.pk)).status_code == 405


def test_it_shows_no_error_message_text_for_a_saved_note(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)

    response = client_for(pharmacist).post(note_url(case.pk), {"note-body": "Fine"})

    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == ["Your internal note is saved; the clinic does not see it."]
