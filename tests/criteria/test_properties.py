"""Properties over many generated requests."""

import json
from dataclasses import replace

from hypothesis import given

from criteria import Evaluation, evaluate, facts_from_dict, facts_to_dict
from tests.criteria import strategies as s


@given(s.facts())
def test_it_never_decides_on_a_missing_fact(facts: s.Facts) -> None:
    """Supplying any one unknown fact, with any value, never changes a line already
    decided; so it can never turn a deny into an approve, nor a met line into a failing
    one. Every unknown field is tried with every candidate value."""
    before = evaluate(facts)
    decided = {line.id: line.status for line in before.lines if line.status != "unknown"}
    for name in (n for n in s.OPTIONAL if s.is_unknown(facts, n)):
        for raw in s.CANDIDATES[name]:
            value = s.resolve(name, raw, facts.evaluation_date)
            after = evaluate(replace(facts, **{name: value}))
            changed = {
                line.id for line in after.lines if decided.get(line.id, line.status) != line.status
            }
            assert changed == set(), (name, value)
            if before.recommendation == "deny":
                assert after.recommendation == "deny"


@given(s.facts(unknown_weight=0.1))
def test_it_recommends_from_the_lines_alone(facts: s.Facts) -> None:
    evaluation = evaluate(facts)
    statuses = [line.status for line in evaluation.lines]
    if evaluation.recommendation == "approve":
        assert set(statuses) == {"met"}
    elif evaluation.recommendation == "pend":
        assert "unknown" in statuses and "not_met" not in statuses
    else:
        assert evaluation.recommendation == "deny" and "not_met" in statuses
    failing = [line for line in evaluation.lines if line.status == "not_met"]
    unknown = [line for line in evaluation.lines if line.status == "unknown"]
    assert evaluation.failing == tuple(line.id for line in failing)
    assert evaluation.missing == tuple(line.id for line in unknown)
    asks = tuple(line.request_for_information for line in unknown)
    assert evaluation.requests_for_information == asks
    assert all(asks)


@given(s.facts())
def test_it_round_trips_evaluations_through_json(facts: s.Facts) -> None:
    evaluation = evaluate(facts)
    assert Evaluation.from_dict(json.loads(json.dumps(evaluation.to_dict()))) == evaluation


@given(s.facts())
def test_it_round_trips_facts_through_json(facts: s.Facts) -> None:
    document = json.loads(json.dumps(facts_to_dict(facts)))
    assert facts_from_dict(document) == facts
