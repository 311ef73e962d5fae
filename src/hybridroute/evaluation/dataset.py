"""Evaluation datasets: one prompt per row with the local and the cloud tier's quality.

On disk a dataset is JSON Lines, one object per row (the edge, validated by pydantic)::

    {"prompt": "...", "local_score": 0.0, "cloud_score": 1.0, "category": "math"}

Scores may be on any fixed scale (0/1 correctness, a 1-10 judge score...), the same for both tiers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingExample:
    """A prompt and how well each tier answered it."""

    prompt: str
    local_score: float
    cloud_score: float
    category: str | None = None


# Any fixed scale fits; a sum of 10 million such scores stays far below the float limit.
MAX_SCORE = 1e100


class RoutingRow(BaseModel):
    """The wire form of one dataset line."""

    # NaN or infinite scores would turn every mean, and so every metric, into nan; scores
    # near the float limit would overflow their sum (1e308 + 1e308 is inf).
    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)

    prompt: str
    local_score: float
    cloud_score: float
    category: str | None = None

    @field_validator("local_score", "cloud_score")
    @classmethod
    def _bounded(cls, score: float) -> float:
        if abs(score) > MAX_SCORE:
            raise ValueError("a score beyond ±1e100 (sums of scores would overflow)")
        return score


class DatasetError(ValueError):
    """A dataset file that cannot be read; names the file and line, never prompt text."""


def load_dataset(path: Path) -> tuple[RoutingExample, ...]:
    """Read a JSONL dataset; raises DatasetError naming the file and the first bad line."""
    examples = []
    try:
        lines = path.open("rb")
    except OSError as exc:
        raise unreadable(path, exc) from None
    with lines:
        for number, line in _numbered(lines, path):
            if not line.strip():
                continue
            try:
                row = RoutingRow.model_validate(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DatasetError(
                    f"{path}: line {number} is not JSON ({exc.msg}, column {exc.colno})"
                ) from None
            except ValidationError as exc:
                raise DatasetError(
                    f"{path}: line {number} is not a routing row ({_field_errors(exc)})"
                ) from None
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


def _numbered(raw_lines: Iterable[bytes], path: Path) -> Iterator[tuple[int, str]]:
    # Decoded line by line (not by the text layer's 8 KiB chunks) so errors name the right line.
    number = 0
    try:
        for number, raw in enumerate(raw_lines, start=1):
            yield number, raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DatasetError(f"{path}: line {number} is not UTF-8 text") from None
    except OSError as exc:
        raise unreadable(path, exc) from None


def unreadable(path: Path, exc: OSError | UnicodeDecodeError) -> DatasetError:
    """The error for a file that cannot be read: the system's reason, never its contents."""
    if isinstance(exc, UnicodeDecodeError):
        return DatasetError(f"{path}: not UTF-8 text")
    return DatasetError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})")


def _field_errors(exc: ValidationError) -> str:
    """Which fields failed and why, without echoing their values (a prompt may be sensitive)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'row'}: "
        f"{error['msg'].removeprefix('Value error, ')}"
        for error in exc.errors(include_url=False, include_input=False)
    )


def write_dataset(examples: Iterable[RoutingExample], path: Path) -> int:
    """Write examples as JSONL, all or nothing; returns the number of rows written.

    Rows go to a temporary file beside ``path`` that replaces it only once every row is written,
    so a failure half-way (a bad row, a full disk) leaves any earlier file in place.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    count = 0
    try:
        with partial.open("w", encoding="utf-8") as out:
            for example in examples:
                row = RoutingRow(
                    prompt=example.prompt,
                    local_score=example.local_score,
                    cloud_score=example.cloud_score,
                    category=example.category,
                )
                out.write(row.model_dump_json(exclude_none=True) + "\n")
                count += 1
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return count


def quality_means(examples: Sequence[RoutingExample]) -> tuple[float, float]:
    """Mean (local, cloud) quality over a dataset."""
    count = len(examples)
    return (
        sum(e.local_score for e in examples) / count,
        sum(e.cloud_score for e in examples) / count,
    )
