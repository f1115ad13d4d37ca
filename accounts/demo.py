"""Demo organizations and users, shared by `seed_demo` and the test fixtures."""

import hashlib
from dataclasses import dataclass

from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Organization, Role, User
from .two_factor import needs_second_factor


@dataclass(frozen=True)
class DemoClinic:
    key: str
    name: str
    npi: str
    phone: str


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: Role
    clinic: str | None = None
    credentials: str = ""


CLINICS = (
    DemoClinic("riverside", "Riverside Hematology Associates", "1456789019", "555-0101"),
    DemoClinic("lakeside", "Lakeside Hemophilia Treatment Center", "1765432103", "555-0202"),
)

USERS = (
    DemoUser("riverside", "Rita", "Rivera", Role.PRESCRIBER, clinic="riverside"),
    DemoUser("lakeside", "Leo", "Lake", Role.PRESCRIBER, clinic="lakeside"),
    DemoUser("phil", "Phil", "Park", Role.PHARMACIST, credentials="PharmD, BCPS"),
    DemoUser("dana", "Dana", "Dorsey", Role.MEDICAL_DIRECTOR, credentials="MD, Hematology"),
    DemoUser("audrey", "Audrey", "Aiken", Role.AUDITOR),
    DemoUser("admin", "Ada", "Admin", Role.ADMIN),
)


def ensure_demo_users(password: str) -> dict[str, User]:
    """Create the demo clinics and users if missing; never changes an existing user's password."""
    clinics = {
        c.key: Organization.objects.get_or_create(
            npi=c.npi, defaults={"name": c.name, "phone": c.phone}
        )[0]
        for c in CLINICS
    }
    users: dict[str, User] = {}
    for spec in USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": f"{spec.username}@example.org",
                "role": spec.role,
                "organization": clinics[spec.clinic] if spec.clinic else None,
                "credentials": spec.credentials,
                "is_staff": spec.role == Role.ADMIN,
                "is_superuser": spec.role == Role.ADMIN,
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        users[spec.username] = user
    return users


def demo_totp_key(username: str) -> str:
    """A fixed authenticator key per demo user, so the demo's second factor is reproducible."""
    return hashlib.sha256(f"hemgenix-demo-totp:{username}".encode()).hexdigest()[:40]


def ensure_demo_devices(users: dict[str, User]) -> None:
    for user in users.values():
        if needs_second_factor(user):
            TOTPDevice.objects.get_or_create(
                user=user,
                name="Demo authenticator",
                defaults={"key": demo_totp_key(user.username), "confirmed": True},
            )
