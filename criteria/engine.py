"""Turn facts into a checklist and a recommendation. The engine recommends; a person decides."""

from __future__ import annotations

from criteria.facts import Facts
from criteria.policy import CriterionDef, Policy
from criteria.registry import policy_for
from criteria.results import CriterionResult, Evaluation, Recommendation, Status, new_result


def _line(criterion: CriterionDef, facts: Facts, policy: Policy) -> CriterionResult:
    outcome = criterion.check(facts, policy)
    ask = None
    if outcome.status is Status.UNKNOWN:
        ask = outcome.ask or criterion.ask
    return new_result(
        criterion.id,
        criterion.kind,
        criterion.section,
        criterion.wording,
        outcome.status,
        outcome.reason,
        outcome.evidence,
        ask,
    )


def evaluate(facts: Facts, policy: Policy | None = None) -> Evaluation:
    """Evaluate ``facts`` under ``policy``, or under the version in force on the
    request's evaluation date (raising NoPolicyInForce if there is none).

    Any line not met -> deny; otherwise any unknown line -> pend; otherwise approve.
    """
    if policy is None:
        policy = policy_for(facts.evaluation_date)
    lines = tuple(_line(c, facts, policy) for c in policy.criteria)
    failing = tuple(line.id for line in lines if line.status is Status.NOT_MET)
    unknown = [line for line in lines if line.status is Status.UNKNOWN]
    if failing:
        recommendation = Recommendation.DENY
    elif unknown:
        recommendation = Recommendation.PEND
    else:
        recommendation = Recommendation.APPROVE
    return Evaluation(
        policy_id=policy.id,
        evaluated_on=facts.evaluation_date,
        lines=lines,
        recommendation=recommendation,
        failing=failing,
        missing=tuple(line.id for line in unknown),
        requests_for_information=tuple(line.request_for_information or "" for line in unknown),
    )
