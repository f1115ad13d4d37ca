"""Properties over many generated requests."""

import json
from dataclasses import replace

from hypothesis import assume, given
from hypothesis import strategies as st

from criteria import Evaluation, evaluate, facts_from_dict, facts_to_dict
from tests.criteria import strategies as s


@given(s.facts(), st.data())
def test_it_never_decides_on_a_missing_fact(facts: s.Facts, data: st.DataObject) -> None:
    """Supplying any one unknown fact never changes a line already decided, so it can
    never turn a deny into an approve (nor a met line into a failing one)."""
    unknown = [name for name in s.OPTIONAL if s.is_unknown(facts, name)]
    assume(unknown)
    name = data.draw(st.sampled_from(unknown))
    value = s.resolve(name, data.draw(s.VALUES[name]), facts.evaluation_date)
    before, after = evaluate(facts), evaluate(replace(facts, **{name: value}))
    for old, new in zip(before.lines, after.lines, strict=True):
        if old.status != "unknown":
            assert new.status == old.status, (name, value, old.id, old.reason, new.reason)
    if before.recommendation == "deny":
        assert after.recommendation == "deny"
    if after.recommendation == "approve":
        assert before.recommendation in {"approve", "pend"}


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
