"""Capability signal: can the local tier answer this prompt well enough?

Rules first (fast, debuggable), then the fallback: the learned model shipped in the package
or a fixed value. Pure CPU, no network; the model loads lazily on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hybridroute.capability.features import PromptFeatures, extract
from hybridroute.capability.model import SHIPPED_MODEL_DIR, CapabilityModel, ModelOutput
from hybridroute.capability.rules import RuleTable
from hybridroute.capability.settings import CapabilitySettings
from hybridroute.errors import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class CapabilityAssessment:
    """How likely the local tier's answer is good enough, and why.

    Attributes:
        local_ok: probability in [0, 1] that the local tier's answer is good enough.
        category: task category (``unclassified`` when the model was not consulted).
        rule: id of the rule that decided, or None when the fallback decided.
        evidence: the numbers behind the assessment (prompt_tokens, model_score...).
    """

    local_ok: float
    category: str
    rule: str | None = None
    evidence: Mapping[str, float] = field(default_factory=dict)


class CapabilityScorer:
    """Assesses prompts with the configured rule table and fallback."""

    def __init__(self, settings: CapabilitySettings | None = None) -> None:
        self._settings = settings or CapabilitySettings()
        self._rules = RuleTable.from_settings(self._settings.rules)
        self._model_dir = self._settings.model_path or SHIPPED_MODEL_DIR
        self._model: CapabilityModel | None = None
        self._lock = threading.Lock()

    @property
    def uses_model(self) -> bool:
        """Whether assessing may consult the learned model."""
        return self._settings.fallback == "model" or self._rules.needs_category

    def model(self) -> CapabilityModel:
        """The learned model, loaded once on first use (thread-safe)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        self._model = CapabilityModel.load(Path(self._model_dir))
                    except (OSError, ValueError, KeyError) as exc:
                        raise ConfigError(
                            f"capability.model_path: cannot load the capability model from "
                            f"{self._model_dir} ({type(exc).__name__})"
                        ) from exc
        return self._model

    def assess(self, prompt: str, role: str | None = None) -> CapabilityAssessment:
        """Assess one prompt (the user-visible text of the request)."""
        output: ModelOutput | None = None
        if self.uses_model:
            model = self.model()
            features = model.features(prompt)
            output = model.predict(features)
        else:
            features = extract(prompt, buckets=1)
        evidence = _evidence(features, output)
        category = output.category if output else UNCLASSIFIED
        rule = self._rules.first_match(
            prompt_tokens=features.prompt_tokens, category=category, role=role
        )
        if rule is not None:
            return CapabilityAssessment(
                local_ok=rule.local_ok, category=category, rule=rule.id, evidence=evidence
            )
        fallback = self._settings.fallback
        local_ok = output.local_ok if fallback == "model" and output else float(fallback)
        return CapabilityAssessment(local_ok=local_ok, category=category, evidence=evidence)

    def cloud_score(self, prompt: str) -> float:
        """1 - local_ok: the score an evaluation sweep thresholds (higher -> cloud)."""
        return 1.0 - self.assess(prompt).local_ok


def _evidence(features: PromptFeatures, output: ModelOutput | None) -> dict[str, float]:
    evidence = {"prompt_tokens": float(features.prompt_tokens)}
    if output is not None:
        evidence["model_score"] = output.raw_score
        evidence["category_probability"] = output.category_probability
    return evidence


UNCLASSIFIED = "unclassified"
