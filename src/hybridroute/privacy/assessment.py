"""The outcome of a privacy scan: entities, sensitivity, action and categories."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from hybridroute.privacy.entities import Entity


class Action(StrEnum):
    """What the router may do with a request, from most to least restrictive."""

    LOCAL_ONLY = "local_only"  # trusted tiers only
    MASK = "mask"  # an untrusted tier only after masking
    ALLOW = "allow"  # any tier


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessment:
    """A privacy verdict for one text. Holds spans, never the sensitive values."""

    entities: tuple[Entity, ...]
    sensitivity: float
    action: Action
    categories: tuple[str, ...] = ()
    failed: bool = False
    # Short rule ids such as "entity:US_SSN", "category:health", "detector_failed:ner".
    reasons: tuple[str, ...] = ()

    def as_row(self, *, with_reasons: bool = False) -> dict[str, object]:
        """The scan row: entities, sensitivity, action, categories; `with_reasons` adds
        `failed` and `reasons` (what `hybridroute scan --json` prints), without which a
        fail-closed verdict (too long, a detector down) looks like a real one. Reasons are
        rule ids (entity types, category and detector names), never values."""
        row: dict[str, object] = {
            "entities": [e.as_row() for e in self.entities],
            "sensitivity": round(self.sensitivity, 4),
            "action": self.action.value,
            "categories": list(self.categories),
        }
        if with_reasons:
            row |= {"failed": self.failed, "reasons": list(self.reasons)}
        return row

    def to_json(self, *, with_reasons: bool = False) -> str:
        """The scan row as one line of JSON."""
        return json.dumps(self.as_row(with_reasons=with_reasons), ensure_ascii=False)
