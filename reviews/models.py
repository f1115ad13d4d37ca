"""The PA case and what hangs off it. Every write goes through reviews.services."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Length, Upper
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from .members import MAX_TYPED_MEMBER_ID


class Sex(models.TextChoices):
    MALE = "male", "Male"
    FEMALE = "female", "Female"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Unknown"


MEMBER_KEY_PATTERN = r"^[A-Z0-9]{1,30}$"
# The clinic's free text (an answer's note, a withdrawal's reason, why a request is expedited):
# kept in the history and the audit log and shown on every reviewer's page, so bounded as the
# payer's own texts are (a pend's message, an escalation's reason, an internal note).
CLINIC_TEXT_MAX_LENGTH = 4000


class Patient(models.Model):
    """A member as one clinic knows them. The member id ties records of two clinics together."""

    # No index of its own: the (organization, member_id) unique constraint leads with it.
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="patients", db_index=False
    )
    # As the clinic typed it (shown back to people), and the canonical key every match, count and
    # constraint uses (reviews.members.member_key; PostgreSQL checks it against member_id).
    member_id = models.CharField("health plan member ID", max_length=MAX_TYPED_MEMBER_ID)
    member_key = models.CharField(max_length=30)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex_assigned_at_birth = models.CharField(max_length=10, choices=Sex.choices)
    # Kept apart from sex assigned at birth: the policy's criterion uses only the latter.
    gender_identity = models.CharField(max_length=60, blank=True)
    # The last name for the "possible same person" match (reviews.members.name_key).
    name_key = models.CharField(max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "member_key"], name="patient_member_key_unique_per_clinic"
            ),
            # The target of the composite foreign key that ties a case's key to its patient's.
            models.UniqueConstraint(fields=["id", "member_key"], name="patient_id_member_key"),
            # The target of the case's (patient, clinic) foreign key: a case is its patient's
            # clinic's (reviews 0019).
            models.UniqueConstraint(fields=["id", "organization"], name="patient_id_organization"),
            models.CheckConstraint(
                condition=Q(member_key__regex=MEMBER_KEY_PATTERN), name="patient_member_key_form"
            ),
            # What every door refuses (services.patients), refused to any other writer too.
            models.CheckConstraint(
                condition=Q(sex_assigned_at_birth__in=Sex.values), name="patient_sex_valid"
            ),
            models.CheckConstraint(
                condition=Q(first_name__regex=r"\S") & Q(last_name__regex=r"\S"),
                name="patient_named",
            ),
        ]
        indexes = [
            # Possible same person: another member's patient with this last name, birth and sex.
            models.Index(
                fields=["name_key", "date_of_birth", "sex_assigned_at_birth"],
                name="patient_same_person",
            )
        ]
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.member_id})"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    PENDED = "pended", "Pended: information requested"
    ESCALATED = "escalated", "Escalated to medical director"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STATUSES = (Status.SUBMITTED, Status.IN_REVIEW, Status.PENDED, Status.ESCALATED)
DECIDED_STATUSES = (Status.APPROVED, Status.DENIED)


class Urgency(models.TextChoices):
    STANDARD = "standard", "Standard"
    EXPEDITED = "expedited", "Expedited"


# The body weights a request may give (reviews.dosing checks them at every door; the CHECK below
# holds them for any other writer).
WEIGHT_MIN_KG = Decimal("1")
WEIGHT_MAX_KG = Decimal("400")


class Case(models.Model):
    """One prior-authorization request: the clinic's side and the reviewer's side of it.

    PostgreSQL guards it (migration 0017): its reference, clinic, patient, author and creation
    time never change, and its status moves only as reviews.workflow.status_moves() says.
    """

    reference = models.CharField(max_length=20, unique=True)
    # No index of its own: case_org_id, case_org_created and case_org_updated lead with it.
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="cases")
    # Copied from the patient: the member across clinics, for the lifetime limit's authorization
    # and the queue's search. PostgreSQL keeps member_key equal to the patient's (a composite
    # foreign key, migration 0007).
    member_id = models.CharField(max_length=MAX_TYPED_MEMBER_ID)
    member_key = models.CharField(max_length=30)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.STANDARD)
    expedite_reason = models.TextField(blank=True)

    # The clinical facts, in the criteria engine's JSON input format (criteria/schema).
    facts = models.JSONField(default=dict, blank=True)
    prescriber_name = models.CharField(max_length=200, blank=True)
    prescriber_npi = models.CharField(max_length=10, blank=True)
    body_weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    planned_infusion_date = models.DateField(null=True, blank=True)

    # The engine's latest checklist (Evaluation.to_dict()) and the policy version it used.
    checklist = models.JSONField(default=dict, blank=True)
    policy_id = models.CharField(max_length=60, blank=True)
    recommendation = models.CharField(max_length=10, blank=True)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    clock_paused_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    ever_pended = models.BooleanField(default=False)
    # When a reviewer escalated the case to the medical directors: from then on it is theirs
    # until decided or withdrawn, whatever its status (a pend, the clinic's answer: workflow
    # move_for). Never cleared; a column, so the queue tells such a pended case by its row.
    escalated_at = models.DateTimeField(null=True, blank=True)
    # An appeal is a case of its own, linked to the denied case it appeals (services.appeals);
    # PostgreSQL lets only a medical director who did not decide that case decide it (0008).
    appeal_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
        db_index=False,  # one_appeal_per_case indexes it
    )

    class Meta:
        constraints = [
            # The target of the authorization's composite foreign key (see Patient).
            models.UniqueConstraint(fields=["id", "member_key"], name="case_id_member_key"),
            # One internal appeal per decision; after it, external review (the letter says so).
            models.UniqueConstraint(
                fields=["appeal_of"],
                condition=Q(appeal_of__isnull=False),
                name="one_appeal_per_case",
            ),
            models.CheckConstraint(
                condition=~Q(appeal_of=models.F("id")), name="case_appeal_not_itself"
            ),
            # Only the choices: a status or urgency no code knows would fall through every rule.
            models.CheckConstraint(condition=Q(status__in=Status.values), name="case_status_valid"),
            models.CheckConstraint(
                condition=Q(urgency__in=Urgency.values), name="case_urgency_valid"
            ),
            # What every door already refuses, refused for any other writer too.
            models.CheckConstraint(
                condition=Q(body_weight_kg__isnull=True)
                | Q(body_weight_kg__range=(WEIGHT_MIN_KG, WEIGHT_MAX_KG)),
                name="case_body_weight_range",
            ),
            models.CheckConstraint(
                condition=Q(prescriber_npi="") | Q(prescriber_npi__regex=r"^[0-9]{10}$"),
                name="case_prescriber_npi_digits",
            ),
            models.CheckConstraint(
                condition=~Q(urgency=Urgency.EXPEDITED) | Q(expedite_reason__regex=r"\S"),
                name="case_expedited_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="case_status_due"),
            models.Index(fields=["organization", "-created_at"], name="case_org_created"),
            # Chosen from EXPLAIN ANALYZE at 100,000 cases (bench/README.md, issue 9): the
            # case-insensitive reference and member ID searches (audit log, queue search),
            models.Index(Upper("reference"), name="case_reference_upper"),
            models.Index(fields=["member_key"], name="case_member_key"),
            # the queue: open cases by holder, counted and sorted by due time from this small
            # index (else it visits every case the reviewer ever held),
            models.Index(
                fields=["assigned_to", "status"],
                # escalated_at: which unheld cases a pharmacist may claim (workflow.move_for);
                # id: the page's 25 ids are then sorted from the index alone, without a visit to
                # each open case's row (issue 20: 2.4 -> 1.6 ms at 100,000 cases).
                include=["due_at", "clock_paused_at", "escalated_at", "id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="case_open_queue",
            ),
            # a clinic's case ids (the audit log's clinic search),
            models.Index(fields=["organization", "id"], name="case_org_id"),
            # the clinic's request list, latest change first,
            models.Index(fields=["organization", "-updated_at"], name="case_org_updated"),
            # and the metrics cohort (received in a period), read from the index alone.
            models.Index(
                fields=["submitted_at"],
                include=[
                    "id",
                    "organization",
                    "urgency",
                    "status",
                    "decided_at",
                    "due_at",
                    "ever_pended",
                ],
                name="case_submitted_cohort",
            ),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_decided(self) -> bool:
        return self.status in DECIDED_STATUSES

    @property
    def is_escalated(self) -> bool:
        return self.escalated_at is not None

    @property
    def status_hides_escalation(self) -> bool:
        """Open, the directors', and in a status that does not say so (pended, waiting for the
        clinic): the queue row and the case page say "escalated" beside the status."""
        return self.is_escalated and self.is_open and self.status != Status.ESCALATED


class CaseEvent(models.Model):
    """One row per state change or action on a case, written by the service that made it.

    Append-only: PostgreSQL refuses UPDATE and DELETE on its rows (migration 0017)."""

    # No index of its own: event_case_created leads with it.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="event_case_created")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_status}->{self.to_status}"


class IntakeDoor(models.TextChoices):
    API = "api", "REST API"
    FHIR = "fhir", "FHIR $submit"
    FHIR_UPDATE = "fhir_update", "FHIR Claim update"


class IntakeKey(models.Model):
    """A client's key for one filing and the fingerprint of what it sent under it (the REST
    Idempotency-Key, the FHIR Claim.identifier's system and value, a FHIR Claim update's).

    The same key again with the same content is a replay and answers with the same case; with
    other content it is refused (reviews.services.intake). The unique key decides a race.
    """

    Door = IntakeDoor  # module-level, so that Meta below can name its values

    # No index of its own: the unique key leads with it.
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    door = models.CharField(max_length=12, choices=Door.choices)
    key = models.CharField(max_length=300)
    # sha256 of the request's content; "" for keys stored before fingerprints (migration 0007).
    fingerprint = models.CharField(max_length=64, blank=True)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="intake_keys")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "door", "key"], name="intake_key_unique_per_clinic"
            ),
            models.CheckConstraint(
                condition=Q(door__in=IntakeDoor.values), name="intake_key_door_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.door} {self.key}"


class SamePersonRuling(models.TextChoices):
    SAME = "same", "Same person"
    DIFFERENT = "different", "Different person"


class IdentityRuling(models.Model):
    """A reviewer's ruling on a possible same person: another member key whose patient has this
    case's patient's last name, birth date and sex at birth. The latest ruling per key stands.

    "Same person" counts that member's approvals against this request; "different person"
    needs a reason. A case with a possible same person and no ruling cannot be approved.
    """

    Ruling = SamePersonRuling  # module-level, so that Meta below can name its values

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="identity_rulings")
    other_member_key = models.CharField(max_length=30)
    ruling = models.CharField(max_length=10, choices=Ruling.choices)
    reason = models.TextField()
    ruled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ruling="same") | Q(reason__regex=r"\S"),
                name="identity_ruling_different_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(ruling__in=SamePersonRuling.values), name="identity_ruling_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} ~ {self.other_member_key}: {self.ruling}"


# What one pend may ask for: items the clinic can work through, each a line it can read (the
# page, the e-mail and the history show them whole).
PEND_ITEMS_MAX = 30
PEND_ITEM_MAX_LENGTH = 500
_JSON_LENGTH = Func(F("items"), function="jsonb_array_length", output_field=models.IntegerField())


class RequestForInformation(models.Model):
    """A pend: what the reviewer asked the clinic for, and the clinic's answer."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="rfis")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    items = models.JSONField(default=list)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one open request for information per case.
            models.UniqueConstraint(
                fields=["case"], condition=Q(answered_at__isnull=True), name="one_open_rfi_per_case"
            ),
            # A list of 1 to PEND_ITEMS_MAX items (each item's length: services.review).
            models.CheckConstraint(
                condition=Q(
                    GreaterThanOrEqual(_JSON_LENGTH, 1),
                    LessThanOrEqual(_JSON_LENGTH, PEND_ITEMS_MAX),
                ),
                name="rfi_items_1_to_max",
            ),
        ]

    def __str__(self) -> str:
        return f"RFI on case {self.case_id} ({len(self.items)} items)"


class LineRuling(models.TextChoices):
    MET = "met", "Met"
    NOT_MET = "not_met", "Not met"
    # The evidence does not settle the line after all (e.g. a document contradicts the
    # clinic's form): the line stands unknown whatever the engine read (issue 16).
    UNKNOWN = "unknown", "Unknown"


class ChecklistOverride(models.Model):
    """A reviewer's ruling on one checklist line, kept beside the engine's result."""

    Ruling = LineRuling  # module-level, so that Meta below can name its values

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="overrides")
    criterion_id = models.CharField(max_length=40)
    engine_status = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=Ruling.choices)
    reason = models.TextField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        # The engine's results and a ruling have the same three values.
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=LineRuling.values), name="override_status_valid"
            ),
            models.CheckConstraint(condition=Q(reason__regex=r"\S"), name="override_has_reason"),
            models.CheckConstraint(
                condition=Q(engine_status__in=LineRuling.values),
                name="override_engine_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.engine_status} -> {self.status}"


class DocumentKind(models.TextChoices):
    LAB_REPORT = "lab_report", "Lab report"
    IMAGING_REPORT = "imaging_report", "Imaging report"
    CLINICAL_NOTE = "clinical_note", "Clinical note"
    OTHER = "other", "Other"


def document_path(instance: Document, filename: str) -> str:
    # The stored name is ours, never the uploader's: no path tricks, no PHI in file names.
    return f"cases/{instance.case_id}/{uuid.uuid4().hex}"


class ShownDocuments(models.Manager["Document"]):
    """Documents not removed by their clinic: every list, link and snapshot reads these."""

    def get_queryset(self) -> models.QuerySet[Document]:
        return super().get_queryset().filter(removed_at__isnull=True)


class Document(models.Model):
    """A clinic's lab or imaging report. A removal by the clinic (issue 16) hides the document
    from every list, link and later snapshot but keeps the row and the file: the payer must be
    able to show what a reviewer had seen, and the removal's event names it (sha256)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    # Which fact groups this document supports (criterion ids), for the checklist's evidence.
    supports = models.JSONField(default=list, blank=True)
    file = models.FileField(upload_to=document_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # '' in the database too: bulk loads that predate removal (bench/generate.py) leave it out.
    removal_reason = models.CharField(max_length=500, blank=True, db_default="")

    with_removed = models.Manager()
    # The default manager, also behind case.documents: removed documents are gone.
    objects = ShownDocuments()

    class Meta:
        ordering = ["uploaded_at", "id"]
        default_manager_name = "objects"
        base_manager_name = "with_removed"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DocumentKind.values), name="document_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"


class DecisionOutcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"


class Decision(models.Model):
    """The final determination, with the exact facts and checklist it was made on.

    PostgreSQL keeps it as written (migration 0017): never deleted, never changed but for its
    letter, written once; and at commit its case is decided the same way.
    """

    # Module-level so that Meta below can name its values (a nested class cannot see this one).
    Outcome = DecisionOutcome

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    failed_criteria = models.JSONField(default=list, blank=True)
    snapshot = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    letter = models.FileField(upload_to="letters/", blank=True)
    letter_generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=DecisionOutcome.values), name="decision_outcome_valid"
            ),
            # The letter tells the member why (services.decisions: is_blank; this the floor).
            models.CheckConstraint(
                condition=Q(outcome=DecisionOutcome.APPROVED) | Q(reason__regex=r"\S"),
                name="decision_denial_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.outcome}"


class AuthorizationState(models.TextChoices):
    ACTIVE = "active", "Active"
    # Only an administrator's correction (e.g. an approval entered in error) voids one.
    VOIDED = "voided", "Voided"


class Authorization(models.Model):
    """An approved Hemgenix authorization: one infusion of J1411, once per member's lifetime.

    PostgreSQL keeps it as issued (migration 0017): never deleted; only voided (once) and its
    member ID corrected; at commit its case is approved, with an approved decision.
    """

    State = AuthorizationState  # module-level for Meta, as Decision.Outcome

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="authorization")
    member_id = models.CharField(max_length=MAX_TYPED_MEMBER_ID)
    # The case's key (a composite foreign key keeps them equal): the lifetime limit's key.
    member_key = models.CharField(max_length=30)
    number = models.CharField(max_length=20, unique=True)
    hcpcs_code = models.CharField(max_length=10, default="J1411")
    units = models.PositiveSmallIntegerField(default=1)
    valid_from = models.DateField()
    valid_to = models.DateField()
    policy_id = models.CharField(max_length=60)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    # What is authorized, fixed at approval (issue 16): the weight the dose was computed from,
    # the planned infusion, the prescriber, and the dose as volume and single-dose vials
    # (reviews.dosing). Empty on authorizations issued before approval required them.
    body_weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    dose_volume_ml = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    vial_count = models.PositiveSmallIntegerField(null=True, blank=True)
    planned_infusion_date = models.DateField(null=True, blank=True)
    prescriber_npi = models.CharField(max_length=10, blank=True)

    class Meta:
        constraints = [
            # The policy's "one infusion per lifetime", enforced by PostgreSQL itself, so two
            # approvals racing in two cases for the same member leave exactly one.
            # Built by migration 0007 only once no two active authorizations share a key
            # (manage.py member_keys says which do and builds it when none are left).
            models.UniqueConstraint(
                fields=["member_key"],
                condition=Q(state="active"),
                name="one_active_hemgenix_authorization_per_member_key",
            ),
            models.CheckConstraint(
                condition=Q(state__in=AuthorizationState.values), name="authorization_state_valid"
            ),
            models.CheckConstraint(condition=Q(units=1), name="authorization_single_infusion"),
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")), name="authorization_window"
            ),
            # Just enough 10 mL vials for the volume: no fewer, and not one more.
            models.CheckConstraint(
                condition=Q(vial_count__isnull=True, dose_volume_ml__isnull=True)
                | Q(
                    vial_count__gte=1,
                    dose_volume_ml__lte=models.F("vial_count") * 10,
                    dose_volume_ml__gt=(models.F("vial_count") - 1) * 10,
                ),
                name="authorization_vials_cover_dose",
            ),
        ]

    def __str__(self) -> str:
        return self.number


INTERNAL_NOTE_MAX_LENGTH = 4000


class InternalNote(models.Model):
    """A payer staff member's note on a case, never shown to the clinic (issue 16).

    Append-only: PostgreSQL refuses UPDATE and DELETE on its rows (migration 0010), and there is
    no edit path; a correction is a new note. Written only by reviews.services.note_add.
    """

    # No index of its own: note_case_created leads with it.
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="internal_notes", db_index=False
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=INTERNAL_NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "-created_at"], name="note_case_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    LessThanOrEqual(Length("body"), INTERNAL_NOTE_MAX_LENGTH), body__regex=r"\S"
                ),
                name="internal_note_body",
            )
        ]

    def __str__(self) -> str:
        return f"Note {self.pk} on case {self.case_id}"


class OutboxMessage(models.Model):
    """A Celery task to send, written in the same transaction as the change that needs it.

    If Redis is down when the transaction commits, the row waits and the relay sends it later,
    so no letter is lost; the tasks are idempotent, so a message sent twice does no harm.
    """

    task = models.CharField(max_length=100)
    args = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_unsent")
        ]

    def __str__(self) -> str:
        return f"{self.task}{self.args} {'sent' if self.sent_at else 'waiting'}"


# What an administrator may set each number of the payer's rules to (validators and CHECKs).
POLICY_SETTING_BOUNDS = {
    "review_clock_hours_standard": (1, 24 * 30),
    "review_clock_hours_expedited": (1, 24 * 30),
    "authorization_valid_days": (1, 3660),
    "appeal_deadline_days": (1, 3660),
}


def _bounded(name: str) -> list[Any]:
    low, high = POLICY_SETTING_BOUNDS[name]
    return [MinValueValidator(low), MaxValueValidator(high)]


class PolicySetting(models.Model):
    """The payer's operating rules, edited by administrators. One row at most (id 1).

    An empty field means "use the environment's default" (pa_portal/settings.py), so a fresh
    install behaves as configured. Read the effective values with
    reviews.policy.current_policy_settings(), never from this model directly.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    review_clock_hours_standard = models.PositiveSmallIntegerField(
        "review clock, standard requests (hours)",
        null=True,
        blank=True,
        validators=_bounded("review_clock_hours_standard"),
    )
    review_clock_hours_expedited = models.PositiveSmallIntegerField(
        "review clock, expedited requests (hours)",
        null=True,
        blank=True,
        validators=_bounded("review_clock_hours_expedited"),
    )
    clock_pauses_while_pended = models.BooleanField(
        "review clock pauses while a request is pended", null=True, blank=True
    )
    denial_requires_medical_director = models.BooleanField(
        "only the medical director may deny", null=True, blank=True
    )
    authorization_valid_days = models.PositiveSmallIntegerField(
        "authorization valid for (days)",
        null=True,
        blank=True,
        validators=_bounded("authorization_valid_days"),
    )
    appeal_deadline_days = models.PositiveSmallIntegerField(
        "appeal deadline (days after the decision)",
        null=True,
        blank=True,
        validators=_bounded("appeal_deadline_days"),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = "policy settings"
        verbose_name_plural = "policy settings"
        # The admin form's bounds, also for any other writer (a shell, another connection).
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="policy_setting_single_row"),
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{name}__isnull": True})
                    | models.Q(**{f"{name}__range": bounds}),
                    name=f"policy_setting_{name}_range",
                )
                for name, bounds in POLICY_SETTING_BOUNDS.items()
            ],
        ]

    def __str__(self) -> str:
        return "Policy settings"
