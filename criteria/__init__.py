"""Pure-Python prior-authorization criteria engine for Hemgenix (no Django here).

from criteria import Facts, evaluate
evaluation = evaluate(Facts(evaluation_date=date(2024, 3, 1), ...))
evaluation.recommendation, evaluation.to_dict()
"""

from criteria.engine import evaluate
from criteria.facts import Facts, ImagingResult, LabResult
from criteria.fep_2024 import FEP_HEMGENIX_2024_01
from criteria.io import FactsValidationError, facts_from_dict, facts_from_json, facts_to_dict
from criteria.policy import CriterionDef, NoPolicyInForce, Outcome, Policy
from criteria.registry import POLICIES, policy_for
from criteria.results import (
    CriterionResult,
    Evaluation,
    Evidence,
    Kind,
    Recommendation,
    Status,
)

__all__ = [
    "FEP_HEMGENIX_2024_01",
    "POLICIES",
    "CriterionDef",
    "CriterionResult",
    "Evaluation",
    "Evidence",
    "Facts",
    "FactsValidationError",
    "ImagingResult",
    "Kind",
    "LabResult",
    "NoPolicyInForce",
    "Outcome",
    "Policy",
    "Recommendation",
    "Status",
    "evaluate",
    "facts_from_dict",
    "facts_from_json",
    "facts_to_dict",
    "policy_for",
]
