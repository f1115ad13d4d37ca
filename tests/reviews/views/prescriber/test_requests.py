from django.urls import reverse

from accounts.models import User
from audit.models import AuditLog
from reviews.models import Case, Patient, Status
from tests.conftest import client_for
from tests.factories import approvable_facts, make_case, make_patient

from .conftest import blank, request_post


def test_it_saves_a_draft_with_the_facts_in_the_engines_format(riverside: User) -> None:
    patient = make_patient(riverside)
    response = client_for(riverside).post(
        reverse("prescriber:case_create"), request_post(patient.pk)
    )
    case = Case.objects.get(patient=patient)
    assert response.status_code == 302
    assert response["Location"] == reverse("prescriber:case_detail", args=[case.pk])
    assert case.status == Status.DRAFT
    assert case.facts == approvable_facts()
    assert (case.prescriber_npi, str(case.body_weight_kg)) == ("1234567893", "78.5")
    assert case.checklist == {}


def test_it_saves_a_nearly_empty_draft(riverside: User) -> None:
    patient = make_patient(riverside)
    data = {"patient": patient.pk, "urgency": "standard", "action": "save"}
    client_for(riverside).post(reverse("prescriber:case_create"), data)
    case = Case.objects.get(patient=patient)
    assert case.facts == {}


def test_it_submits_and_stores_the_checklist_with_its_policy(riverside: User) -> None:
    patient = make_patient(riverside)
    client_for(riverside).post(
        reverse("prescriber:case_create"), request_post(patient.pk, action="submit")
    )
    case = Case.objects.get(patient=patient)
    assert case.status == Status.SUBMITTED
    assert case.policy_id == "fep-hemgenix-2024-01"
    assert case.checklist["policy_id"] == case.policy_id
    assert case.recommendation == "approve"
    assert case.due_at is not None


def test_it_creates_nothing_from_bad_input(riverside: User) -> None:
    patient = make_patient(riverside)
    data = request_post(patient.pk, action="submit", prescriber_npi="12345", alt_value="-4")
    response = client_for(riverside).post(reverse("prescriber:case_create"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert "not a valid NPI" in form.errors["prescriber_npi"][0]
    assert "alt_value" in form.errors
    assert not Case.objects.exists()
    assert b"is-invalid" in response.content


def test_it_reopens_a_draft_with_its_values(riverside: User) -> None:
    case = make_case(riverside, submit=False)
    response = client_for(riverside).get(reverse("prescriber:case_edit", args=[case.pk]))
    form = response.context["form"]
    assert form.initial["alt_value"] == "22"
    assert form.initial["hiv_status"] == "negative"
    assert form.initial["on_fix_prophylaxis"] == "yes"
    assert 'value="Alprolix (eftrenonacog alfa)"' in response.content.decode()


def test_it_edits_a_draft_and_submits_it(riverside: User) -> None:
    case = make_case(riverside, submit=False)
    data = {**blank(request_post(action="submit"), "hiv_status"), "confirm_incomplete": "yes"}
    response = client_for(riverside).post(reverse("prescriber:case_edit", args=[case.pk]), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert "hiv_status" not in case.facts
    assert case.checklist["missing"] == ["excl_hiv"]


def test_it_freezes_a_submitted_request(riverside: User) -> None:
    case = make_case(riverside)
    client = client_for(riverside)
    url = reverse("prescriber:case_edit", args=[case.pk])
    assert client.get(url)["Location"] == reverse("prescriber:case_detail", args=[case.pk])
    client.post(url, blank(request_post(), "hiv_status"))
    case.refresh_from_db()
    assert case.facts["hiv_status"] == "negative"


def test_it_previews_the_checklist_of_unsaved_facts(riverside: User) -> None:
    patient = make_patient(riverside)
    data = blank(request_post(patient.pk), "hiv_status", "hepatitis_b_active")
    response = client_for(riverside).post(
        reverse("prescriber:preview"), data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.context["checklist"]["missing"] == ["excl_hiv", "excl_hepatitis"]
    html = response.content.decode()
    assert "2 unknown" in html
    assert 'data-criterion="excl_hiv"' in html
    assert not Case.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="case.").exists()


def test_it_previews_age_from_the_chosen_patient(riverside: User) -> None:
    patient = make_patient(riverside)
    url = reverse("prescriber:preview")
    client = client_for(riverside)
    without = client.post(url, blank(request_post(), "patient")).context["checklist"]
    with_patient = client.post(url, request_post(patient.pk)).context["checklist"]
    assert {"age", "sex"} <= set(without["missing"])
    assert with_patient["recommendation"] == "approve"


def test_it_shows_fields_to_fix_in_the_preview(riverside: User) -> None:
    response = client_for(riverside).post(
        reverse("prescriber:preview"), request_post(alt_date="", fix_activity_unit="")
    )
    html = response.content.decode()
    assert "ALT date: Needed with the ALT result." in html
    assert "Factor IX activity unit" in html


def test_it_adds_a_patient_with_sex_at_birth_apart_from_gender_identity(riverside: User) -> None:
    data = {
        "member_id": "FEP-778",
        "first_name": "Alex",
        "last_name": "Moreno",
        "date_of_birth": "1990-02-03",
        "sex_assigned_at_birth": "male",
        "gender_identity": "Non-binary",
    }
    response = client_for(riverside).post(reverse("prescriber:patient_create"), data)
    patient = Patient.objects.get(member_id="FEP-778")
    assert response["Location"].endswith(f"?patient={patient.pk}")
    assert (patient.sex_assigned_at_birth, patient.gender_identity) == ("male", "Non-binary")
    assert patient.organization == riverside.organization


def test_it_refuses_a_duplicate_member_id_in_the_clinic(riverside: User, lakeside: User) -> None:
    make_patient(riverside, member_id="FEP-1")
    make_patient(lakeside, member_id="FEP-2")
    data = {
        "first_name": "A",
        "last_name": "B",
        "date_of_birth": "1990-02-03",
        "sex_assigned_at_birth": "male",
    }
    client = client_for(riverside)
    refused = client.post(reverse("prescriber:patient_create"), {**data, "member_id": "FEP-1"})
    assert "already has a patient" in refused.context["form"].errors["member_id"][0]
    # Another clinic's patient with the same member ID is a different record.
    client.post(reverse("prescriber:patient_create"), {**data, "member_id": "FEP-2"})
    assert Patient.objects.filter(member_id="FEP-2").count() == 2
    assert Patient.objects.filter(member_id="FEP-1").count() == 1


def test_it_refuses_a_patient_born_in_the_future(riverside: User) -> None:
    data = {
        "member_id": "FEP-9",
        "first_name": "A",
        "last_name": "B",
        "date_of_birth": "2999-01-01",
        "sex_assigned_at_birth": "male",
    }
    response = client_for(riverside).post(reverse("prescriber:patient_create"), data)
    assert "date_of_birth" in response.context["form"].errors
    assert not Patient.objects.exists()


def test_it_asks_to_confirm_a_submit_the_preview_shows_incomplete(riverside: User) -> None:
    patient = make_case(riverside, submit=False).patient
    client = client_for(riverside)
    data = blank(request_post(patient.pk, action="submit"), "hiv_status")

    asked = client.post(reverse("prescriber:case_create"), data)
    confirmed = client.post(
        reverse("prescriber:case_create"), {**data, "confirm_incomplete": "yes"}
    )

    page = asked.content.decode()
    assert "The checklist preview shows 1 line unknown" in page
    assert 'name="confirm_incomplete"' in page
    assert confirmed.status_code == 302
    submitted = Case.objects.filter(patient=patient, status=Status.SUBMITTED)
    assert submitted.count() == 1


def test_it_asks_to_confirm_submitting_an_incomplete_draft_from_its_page(riverside: User) -> None:
    facts = approvable_facts()
    del facts["hiv_status"]
    case = make_case(riverside, facts=facts, submit=False)
    client = client_for(riverside)
    url = reverse("prescriber:case_submit", args=[case.pk])

    page = client.get(reverse("prescriber:case_detail", args=[case.pk])).content.decode()
    asked = client.post(url)
    case.refresh_from_db()
    status_after_asking = case.status
    client.post(url, {"confirm_incomplete": "yes"})
    case.refresh_from_db()

    assert 'data-testid="confirm-incomplete"' in page
    assert asked.status_code == 302 and status_after_asking == Status.DRAFT
    assert case.status == Status.SUBMITTED


def test_it_starts_a_new_request_copied_from_a_previous_one(riverside: User) -> None:
    case = make_case(riverside)
    client = client_for(riverside)

    detail = client.get(reverse("prescriber:case_detail", args=[case.pk])).content.decode()
    url = f"{reverse('prescriber:case_create')}?patient={case.patient_id}&copy={case.pk}"
    form = client.get(url).context["form"]

    assert f"copy={case.pk}" in detail
    assert form.initial["patient"] == case.patient_id
    assert form.initial["prescriber_npi"] == case.prescriber_npi
    assert form.initial["hiv_status"] == case.facts["hiv_status"]


def test_it_copies_no_other_clinics_request(riverside: User, lakeside: User) -> None:
    theirs = make_case(lakeside)
    url = f"{reverse('prescriber:case_create')}?copy={theirs.pk}"
    assert client_for(riverside).get(url).status_code == 404
