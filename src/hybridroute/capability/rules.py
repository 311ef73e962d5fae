"""The rules stage: a first-match table on prompt length, task category and user role."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hybridroute.capability.settings import CapabilityRuleSettings


@dataclass(frozen=True, slots=True, kw_only=True)
class CapabilityRule:
    """A rule: when every condition that is set holds, local_ok is this rule's value."""

    id: str
    local_ok: float
    min_tokens: int | None = None
    max_tokens: int | None = None
    categories: frozenset[str] | None = None
    roles: frozenset[str] | None = None

    @classmethod
    def from_settings(cls, settings: CapabilityRuleSettings) -> CapabilityRule:
        return cls(
            id=settings.id,
            local_ok=settings.local_ok,
            min_tokens=settings.min_tokens,
            max_tokens=settings.max_tokens,
            categories=frozenset(settings.categories) if settings.categories else None,
            roles=frozenset(settings.roles) if settings.roles else None,
        )

    @property
    def needs_category(self) -> bool:
        return self.categories is not None

    def matches(self, *, prompt_tokens: int, category: str | None, role: str | None) -> bool:
        """True when the prompt meets every condition of this rule."""
        if self.min_tokens is not None and prompt_tokens < self.min_tokens:
            return False
        if self.max_tokens is not None and prompt_tokens > self.max_tokens:
            return False
        if self.categories is not None and category not in self.categories:
            return False
        return self.roles is None or role in self.roles


@dataclass(frozen=True, slots=True)
class RuleTable:
    """Rules in priority order; the first that matches decides."""

    rules: tuple[CapabilityRule, ...] = ()

    @classmethod
    def from_settings(cls, rules: Sequence[CapabilityRuleSettings]) -> RuleTable:
        return cls(tuple(CapabilityRule.from_settings(rule) for rule in rules))

    @property
    def needs_category(self) -> bool:
        return any(rule.needs_category for rule in self.rules)

    def first_match(
        self, *, prompt_tokens: int, category: str | None, role: str | None
    ) -> CapabilityRule | None:
        """The deciding rule, or None when the prompt fits no rule."""
        for rule in self.rules:
            if rule.matches(prompt_tokens=prompt_tokens, category=category, role=role):
                return rule
        return None
