from typing import Any

from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_token
from tests.factories import approvable_facts


def api_for(user: User) -> APIClient:
    """A client authenticated the way an integration would be: with the user's API token."""
    client = APIClient()
    _, raw = issue_token(user, "test integration")
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def new_request(member_id: str = "FEP-1001", **changes: Any) -> dict[str, Any]:
    """A create-and-submit body for a new patient whose facts meet every line of the policy."""
    body: dict[str, Any] = {
        "patient": {
            "member_id": member_id,
            "first_name": "Sam",
            "last_name": "Example",
            "date_of_birth": "1985-06-15",
            "sex_assigned_at_birth": "male",
            "gender_identity": "man",
        },
        "facts": approvable_facts(),
        "prescriber_name": "Dr. Hema Tologist",
        "prescriber_npi": "1234567893",
        "body_weight_kg": "81.2",
    }
    body.update(changes)
    return body
