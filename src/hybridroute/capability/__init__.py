"""Capability signal: rules first, then a small learned model shipped with the package.

scorer = CapabilityScorer(settings)
assessment = scorer.assess(prompt_text, role=None)
assessment.local_ok, assessment.category, assessment.rule, assessment.evidence
"""

from hybridroute.capability.model import CapabilityModel, ModelOutput
from hybridroute.capability.rules import CapabilityRule, RuleTable
from hybridroute.capability.scorer import CapabilityAssessment, CapabilityScorer
from hybridroute.capability.settings import CapabilityRuleSettings, CapabilitySettings

__all__ = [
    "CapabilityAssessment",
    "CapabilityModel",
    "CapabilityRule",
    "CapabilityRuleSettings",
    "CapabilityScorer",
    "CapabilitySettings",
    "ModelOutput",
    "RuleTable",
]
