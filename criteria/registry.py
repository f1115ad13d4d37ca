"""The policy versions the portal knows, and which one is in force on a date."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType

from criteria.fep_2024 import FEP_HEMGENIX_2024_01
from criteria.policy import Policy, select_policy

POLICIES: Mapping[str, Policy] = MappingProxyType(
    {policy.id: policy for policy in (FEP_HEMGENIX_2024_01,)}
)


def policy_for(on: date, policies: Iterable[Policy] | None = None) -> Policy:
    """The version in force on ``on``; raises NoPolicyInForce naming the date if none."""
    return select_policy(POLICIES.values() if policies is None else policies, on)
