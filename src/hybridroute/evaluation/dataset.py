"""Evaluation datasets: one prompt per row with the local and the cloud tier's quality.

On disk a dataset is JSON Lines, one object per row (the edge, validated by pydantic)::

    {"prompt": "...", "local_score": 0.0, "cloud_score": 1.0, "category": "math"}

Scores may be on any fixed scale (0/1 correctness, a 1-10 judge score...), the same for both tiers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingExample:
    """A prompt and how well each tier answered it."""

    prompt: str
    local_score: float
    cloud_score: float
    category: str | None = None


class RoutingRow(BaseModel):
    """The wire form of one dataset line."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    prompt: str
    local_score: float
    cloud_score: float
    category: str | None = None


class DatasetError(ValueError):
    """A dataset file that cannot be read; names the file and line, never prompt text."""


def load_dataset(path: Path) -> tuple[RoutingExample, ...]:
    """Read a JSONL dataset; raises DatasetError naming the first bad line."""
    examples = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = RoutingRow.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as exc:
                kind = type(exc).__name__
                raise DatasetError(f"{path}: line {number} is not a routing row ({kind})") from None
            examples.append(
                RoutingExample(
                    prompt=row.prompt,
                    local_score=row.local_score,
                    cloud_score=row.cloud_score,
                    category=row.category,
                )
            )
    if not examples:
        raise DatasetError(f"{path}: no rows")
    return tuple(examples)


def write_dataset(examples: Iterable[RoutingExample], path: Path) -> int:
    """Write examples as JSONL; returns the number of rows written."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for example in examples:
            row = RoutingRow(
                prompt=example.prompt,
                local_score=example.local_score,
                cloud_score=example.cloud_score,
                category=example.category,
            )
            out.write(row.model_dump_json(exclude_none=True) + "\n")
            count += 1
    return count


def quality_means(examples: Sequence[RoutingExample]) -> tuple[float, float]:
    """Mean (local, cloud) quality over a dataset."""
    count = len(examples)
    return (
        sum(e.local_score for e in examples) / count,
        sum(e.cloud_score for e in examples) / count,
    )
