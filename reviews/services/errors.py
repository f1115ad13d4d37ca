"""The services' refusals: one message fit to show the user, and nothing was changed."""

from __future__ import annotations

from ..errors import ServiceError

__all__ = ["FactsInvalid", "LifetimeLimitReached", "NotAllowed", "ServiceError"]


class NotAllowed(ServiceError):
    pass


class FactsInvalid(ServiceError):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))


class LifetimeLimitReached(ServiceError):
    pass
