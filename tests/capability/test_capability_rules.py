"""Rules stage: first match wins, conditions combine, settings validate."""

import pytest
from pydantic import ValidationError

from hybridroute.capability import CapabilityScorer, CapabilitySettings, RuleTable
from hybridroute.capability.settings import CapabilityRuleSettings

RULES = (
    CapabilityRuleSettings(id="huge", min_tokens=1000, local_ok=0.05),
    CapabilityRuleSettings(id="admin_short", roles=("admin",), max_tokens=20, local_ok=0.9),
    CapabilityRuleSettings(id="code", categories=("coding",), local_ok=0.2),
)


@pytest.mark.parametrize(
    ("tokens", "category", "role", "expected"),
    [
        (5000, "coding", "admin", "huge"),
        (10, "chat", "admin", "admin_short"),
        (10, "chat", "user", None),
        (30, "coding", "admin", "code"),
        (30, "math", None, None),
    ],
)
def test_first_match(tokens: int, category: str, role: str | None, expected: str | None) -> None:
    rule = RuleTable.from_settings(RULES).first_match(
        prompt_tokens=tokens, category=category, role=role
    )
    assert (rule.id if rule else None) == expected


def test_constant_fallback_never_loads_the_model() -> None:
    scorer = CapabilityScorer(CapabilitySettings(rules=RULES[:2], fallback=0.4))
    assert not scorer.uses_model
    assessment = scorer.assess("hello there")
    assert (assessment.local_ok, assessment.rule, assessment.category) == (
        0.4,
        None,
        "unclassified",
    )
    assert scorer.assess("word " * 2000).rule == "huge"


def test_role_rule_decides() -> None:
    scorer = CapabilityScorer(CapabilitySettings(rules=RULES, fallback=0.5))
    assert scorer.assess("hi", role="admin").rule == "admin_short"


@pytest.mark.parametrize(
    "bad",
    [
        {"rules": [{"id": "a", "local_ok": 1.5}]},
        {"rules": [{"id": "a", "local_ok": 0.5, "min_tokens": 9, "max_tokens": 3}]},
        {"rules": [{"id": "a", "local_ok": 0.5}, {"id": "a", "local_ok": 0.1}]},
        {"fallback": "sometimes"},
        {"rules": [{"id": "a", "local_ok": 0.5, "typo": 1}]},
    ],
)
def test_invalid_settings_are_rejected(bad: dict) -> None:
    with pytest.raises(ValidationError):
        CapabilitySettings.model_validate(bad)
