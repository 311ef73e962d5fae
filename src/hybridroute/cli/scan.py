"""`hybridroute scan [FILE|-] [--json]`: batch privacy scan of JSONL rows or plain lines."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, TextIO

import typer

from hybridroute.privacy import Assessment, PrivacyScanner, PrivacySettings


def scan(
    source: Annotated[
        str, typer.Argument(help="JSONL with a 'text' field, or plain lines; '-' is stdin.")
    ] = "-",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per row.")] = False,
    fast: Annotated[
        bool, typer.Option("--fast", help="Patterns and the name list only, no NER.")
    ] = False,
    config: Annotated[
        Path | None, typer.Option("--config", help="YAML file with a 'privacy:' section.")
    ] = None,
    batch: Annotated[int, typer.Option(min=1, help="Rows per NER batch.")] = 64,
) -> None:
    """Scan texts for sensitive data: entities, sensitivity, action and categories per row."""
    settings = _settings(config, fast)
    scanner = PrivacyScanner(settings)
    stream: TextIO = sys.stdin if source == "-" else Path(source).open(encoding="utf-8")
    with stream:
        for assessment in _assess(scanner, _texts(stream), batch):
            typer.echo(assessment.to_json() if as_json else _summary(assessment))


def _settings(config: Path | None, fast: bool) -> PrivacySettings:
    data: dict[str, object] = {}
    if config is not None:
        import yaml

        loaded = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        data = dict(loaded.get("privacy") or {})
    if fast:
        data["ner"] = False
    return PrivacySettings.model_validate(data)


def _texts(stream: TextIO) -> Iterator[str]:
    """The `text` field of JSON object rows; any other line is taken as the text itself."""
    for line in stream:
        line = line.rstrip("\n")
        if line.lstrip().startswith("{"):
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                row = None
            if isinstance(row, dict) and isinstance(row.get("text"), str):
                yield row["text"]
                continue
        yield line


def _assess(scanner: PrivacyScanner, texts: Iterable[str], batch: int) -> Iterator[Assessment]:
    pending: list[str] = []
    for text in texts:
        pending.append(text)
        if len(pending) >= batch:
            yield from scanner.assess_many(pending)
            pending = []
    if pending:
        yield from scanner.assess_many(pending)


def _summary(assessment: Assessment) -> str:
    types = ",".join(sorted({e.type for e in assessment.entities})) or "-"
    categories = ",".join(assessment.categories) or "-"
    failed = " FAILED" if assessment.failed else ""
    action = assessment.action.value
    return f"{action:<10} {assessment.sensitivity:.2f}  {types}  [{categories}]{failed}"
