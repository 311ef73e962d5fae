"""PRISM-style request sensitivity: `max S(e) + alpha * |E|` plus category boosts, and the
thresholds that turn it into an action. Pure functions of entities and settings."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from hybridroute.privacy.assessment import Action
from hybridroute.privacy.entities import Entity
from hybridroute.privacy.settings import PrivacySettings


@dataclass(frozen=True, slots=True, kw_only=True)
class Score:
    """A sensitivity with the rule ids that produced it."""

    sensitivity: float
    reasons: tuple[str, ...]


def contribution(entity: Entity, settings: PrivacySettings) -> float:
    """S(e) weighted by the detector's confidence."""
    table = settings.sensitivity
    return table.get(entity.type, settings.unknown_sensitivity) * entity.score


def score_request(
    entities: Sequence[Entity],
    categories: Sequence[str],
    settings: PrivacySettings,
    values: Sequence[str] = (),
) -> Score:
    """Sensitivity in [0, 1]. `values` (parallel to `entities`) lets repeats count once."""
    reasons: list[str] = []
    top = 0.0
    distinct: set[tuple[str, str]] = set()
    for index, entity in enumerate(entities):
        weight = contribution(entity, settings)
        if weight > top:
            top = weight
        if weight >= settings.count_floor:
            key = values[index] if index < len(values) else f"{entity.start}:{entity.end}"
            distinct.add((entity.type, key))
    types = sorted({e.type for e in entities})
    reasons.extend(f"entity:{t}" for t in types)
    boost = 0.0
    for category in categories:
        boost += settings.category_boosts.get(category, 0.0)
        reasons.append(f"category:{category}")
    count_term = min(settings.alpha * len(distinct), settings.alpha_cap)
    return Score(sensitivity=min(1.0, top + count_term + boost), reasons=tuple(reasons))


def action_for(sensitivity: float, settings: PrivacySettings) -> Action:
    """local_only at or above the upper threshold, mask at or above the lower, else allow."""
    if sensitivity >= settings.local_only_threshold:
        return Action.LOCAL_ONLY
    if sensitivity >= settings.mask_threshold:
        return Action.MASK
    return Action.ALLOW


def resolve_overlaps(entities: Sequence[Entity], settings: PrivacySettings) -> list[Entity]:
    """Keep the most sensitive of overlapping spans (then the longer); sorted by start."""
    ranked = sorted(
        entities, key=lambda e: (-contribution(e, settings), -(e.end - e.start), e.start)
    )
    # Kept spans are disjoint, so sorted by start they are sorted by end too: a new span can
    # only overlap its neighbours in that order (O(n log n) instead of comparing all pairs).
    starts: list[int] = []
    kept: list[Entity] = []
    for entity in ranked:
        at = bisect.bisect_right(starts, entity.start)
        if at > 0 and kept[at - 1].end > entity.start:
            continue
        if at < len(kept) and kept[at].start < entity.end:
            continue
        starts.insert(at, entity.start)
        kept.insert(at, entity)
    return kept
