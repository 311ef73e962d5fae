"""Sensitive entities as spans: the value itself is never stored, so it cannot leak via repr."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EntityType(StrEnum):
    """Entity types hybridroute detects; the value is also the placeholder label."""

    PERSON = "PERSON"
    LOCATION = "LOCATION"
    ORGANIZATION = "ORGANIZATION"
    NRP = "NRP"  # nationality, religious or political group
    STREET_ADDRESS = "STREET_ADDRESS"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    CREDIT_CARD = "CREDIT_CARD"
    US_SSN = "US_SSN"
    NATIONAL_ID = "NATIONAL_ID"  # other countries' identity and tax numbers
    IBAN = "IBAN"
    IP_ADDRESS = "IP_ADDRESS"
    PASSPORT = "PASSPORT"
    DRIVER_LICENSE = "DRIVER_LICENSE"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    BANK_ACCOUNT = "BANK_ACCOUNT"
    ROUTING_NUMBER = "ROUTING_NUMBER"
    API_KEY = "API_KEY"
    ACCESS_TOKEN = "ACCESS_TOKEN"
    PRIVATE_KEY = "PRIVATE_KEY"
    PASSWORD = "PASSWORD"
    MEDICAL_RECORD = "MEDICAL_RECORD"
    INSURANCE_ID = "INSURANCE_ID"
    HEALTH_CONDITION = "HEALTH_CONDITION"  # a diagnosis or medicine, about a named person


@dataclass(frozen=True, slots=True, kw_only=True)
class Entity:
    """A detected sensitive span `text[start:end]` of `type`, with a confidence in [0, 1]."""

    type: str
    start: int
    end: int
    score: float
    source: str = "pattern"

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Entity) -> bool:
        return self.start < other.end and other.start < self.end

    def as_row(self) -> dict[str, object]:
        """The scan row form: type, start, end, score."""
        return {
            "type": self.type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
        }
