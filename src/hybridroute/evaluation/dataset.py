"""Evaluation datasets: one prompt per row with the local and the cloud tier's quality.

On disk a dataset is JSON Lines, one object per row (the edge, validated by pydantic)::

    {"prompt": "...", "local_score": 0.0, "cloud_score": 1.0, "category": "math"}

Scores may be on any fixed scale (0/1 correctness, a 1-10 judge score...), the same for both tiers.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import PydanticSerializationError


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
        for number, line in numbered_lines(lines, path):
            if not line.strip():
                continue
            try:
                row = RoutingRow.model_validate(parse_json_line(path, number, line))
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


def parse_json_line(path: Path, number: int, line: str) -> Any:
    """One line's JSON value; raises DatasetError naming the line, never its text."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            f"{path}: line {number} is not JSON ({exc.msg}, column {exc.colno})"
        ) from None
    except ValueError:
        # The only other ValueError json raises: an integer past Python's digit limit
        # (int_max_str_digits), there to stop quadratic-time conversions.
        raise DatasetError(
            f"{path}: line {number} has an integer of over {sys.get_int_max_str_digits()} digits"
        ) from None
    except RecursionError:
        # json recurses once per nested array or object: 100,000 '[' exhaust the stack.
        raise DatasetError(f"{path}: line {number} is nested too deeply to read") from None


def numbered_lines(raw_lines: Iterable[bytes], path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) for every line of a binary file, blank ones included.

    Decoded line by line (not by the text layer's 8 KiB chunks) so errors name the right line.
    """
    number = 0
    try:
        for number, raw in enumerate(raw_lines, start=1):
            yield number, _decode(number, raw)
    except UnicodeDecodeError:
        raise DatasetError(f"{path}: line {number} is not UTF-8 text") from None
    except OSError as exc:
        raise unreadable(path, exc) from None


def _decode(number: int, raw: bytes) -> str:
    # A UTF-8 byte order mark (Windows editors write one) starts the file, not a row.
    return raw.decode("utf-8-sig" if number == 1 else "utf-8")


def first_non_utf8_line(path: Path) -> int | None:
    """The number of the first line of ``path`` that is not UTF-8, None if every line is.

    For readers that decode in chunks (csv), whose UnicodeDecodeError names no line.
    """
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            try:
                _decode(number, raw)
            except UnicodeDecodeError:
                return number
    return None


def unreadable(path: Path, exc: OSError) -> DatasetError:
    """The error for a file that cannot be read: the system's reason, never its contents."""
    return DatasetError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})")


def _field_errors(exc: ValidationError) -> str:
    """Which fields failed and why, without echoing their values (a prompt may be sensitive)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'row'}: "
        f"{error['msg'].removeprefix('Value error, ')}"
        for error in exc.errors(include_url=False, include_input=False)
    )


class InvalidRow(ValueError):
    """Fields that do not make a writable row; the message names fields, never their values."""


def _wire(fields: Mapping[str, Any]) -> tuple[RoutingRow, str]:
    """The validated row and its JSON line, exactly as write_dataset writes it."""
    try:
        row = RoutingRow.model_validate(fields)
        return row, row.model_dump_json(exclude_none=True)
    except ValidationError as exc:
        raise InvalidRow(_field_errors(exc)) from None
    except PydanticSerializationError:
        # pydantic's own message quotes the offending character and its position.
        raise InvalidRow("text that is not valid Unicode (a lone surrogate)") from None


def routing_example(fields: Mapping[str, Any]) -> RoutingExample:
    """An example from converted fields, checked as write_dataset will write it.

    Raises InvalidRow saying which field is wrong, so a converter can name its input's line
    instead of failing later, in write_dataset, with a traceback.
    """
    row, _ = _wire(fields)
    return RoutingExample(
        prompt=row.prompt,
        local_score=row.local_score,
        cloud_score=row.cloud_score,
        category=row.category,
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
                fields = {
                    "prompt": example.prompt,
                    "local_score": example.local_score,
                    "cloud_score": example.cloud_score,
                    "category": example.category,
                }
                try:
                    _, line = _wire(fields)
                except InvalidRow as exc:
                    raise DatasetError(
                        f"{path}: row {count + 1} cannot be written ({exc})"
                    ) from None
                out.write(line + "\n")
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
