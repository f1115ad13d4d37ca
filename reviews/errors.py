"""The one base of every refusal in the application (a service's check, a workflow move, a bad
member ID): its message is fit to show the user, and nothing was changed.

Each door maps it in one place: reviews.api.views._refusal (HTTP), pas.intake.refusal
(OperationOutcome), the portal's views (form errors).
"""


class ServiceError(Exception):
    """Refused; the message is fit to show the user and nothing was changed."""
