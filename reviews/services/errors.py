"""The services' refusals: one message fit to show the user, and nothing was changed."""

from __future__ import annotations

from ..errors import ServiceError

__all__ = [
    "ApprovalDetailsMissing",
    "DetailsInvalid",
    "FactsInvalid",
    "LifetimeLimitReached",
    "NotAllowed",
    "ServiceError",
]


class NotAllowed(ServiceError):
    pass


class FactsInvalid(ServiceError):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))


class DetailsInvalid(ServiceError):
    """Request details no door may give (reviews.dosing.request_detail_problems): errors maps
    each field to why, in the words the forms and the REST API use for it."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors.values()))


class LifetimeLimitReached(ServiceError):
    pass


class ApprovalDetailsMissing(ServiceError):
    """An approval refused for what its authorization must state (reviews.dosing.approval_gaps):
    gaps names each missing item in words."""

    def __init__(self, message: str, gaps: list[str]) -> None:
        self.gaps = gaps
        super().__init__(message)
