"""Turn facts into a checklist and a recommendation. The engine recommends; a person decides."""

from __future__ import annotations

from criteria.facts import Facts
from criteria.policy import Policy
from criteria.registry import policy_for
from criteria.results import CriterionResult, Evaluation, Recommendation, Status, new_result

UNKNOWN, NOT_MET = Status.UNKNOWN, Status.NOT_MET


def evaluate(facts: Facts, policy: Policy | None = None) -> Evaluation:
    """Evaluate ``facts`` under ``policy``, or under the version in force on the
    request's evaluation date (raising NoPolicyInForce if there is none).

    Any line not met -> deny; otherwise any unknown line -> pend; otherwise approve.
    """
    if policy is None:
        policy = policy_for(facts.evaluation_date)
    lines: list[CriterionResult] = []
    failing: list[str] = []
    missing: list[str] = []
    asks: list[str] = []
    # One pass over the criteria: this loop is most of the engine's time budget.
    for criterion in policy.criteria:
        status, reason, evidence, ask = criterion.check(facts, policy)
        if status is UNKNOWN:
            ask = ask or criterion.ask
            missing.append(criterion.id)
            asks.append(ask)
        else:
            ask = None  # only unknown lines carry a request for information
            if status is NOT_MET:
                failing.append(criterion.id)
        lines.append(
            new_result(
                criterion.id,
                criterion.kind,
                criterion.section,
                criterion.wording,
                status,
                reason,
                evidence,
                ask,
            )
        )
    if failing:
        recommendation = Recommendation.DENY
    elif missing:
        recommendation = Recommendation.PEND
    else:
        recommendation = Recommendation.APPROVE
    return Evaluation(
        policy_id=policy.id,
        evaluated_on=facts.evaluation_date,
        lines=tuple(lines),
        recommendation=recommendation,
        failing=tuple(failing),
        missing=tuple(missing),
        requests_for_information=tuple(asks),
    )
