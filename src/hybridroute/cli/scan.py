"""`hybridroute scan [FILE|-] [--json]`: batch privacy scan of JSONL rows or plain lines."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.console import Console
from rich.markup import escape

from hybridroute.config import load_privacy_settings
from hybridroute.errors import ConfigError
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
    try:
        settings = _settings(config, fast)
        stream = _open(source)
    except (ConfigError, OSError) as exc:
        message = str(exc) if isinstance(exc, ConfigError) else _os_message(source, exc)
        Console(stderr=True, soft_wrap=True).print(
            f"[red]error:[/red] {escape(message)}", highlight=False
        )
        raise typer.Exit(2) from None  # bad input: the config or the file to scan
    scanner = PrivacyScanner(settings)
    lines = _LineReader(stream)
    with stream:
        for assessment in _assess(scanner, _texts(lines), batch):
            row = assessment.to_json(with_reasons=True) if as_json else _summary(assessment)
            typer.echo(row)
    if lines.replaced:
        Console(stderr=True, soft_wrap=True).print(
            f"note: {len(lines.replaced)} line(s) were not UTF-8 (first: line "
            f"{lines.replaced[0]}); their undecodable bytes were scanned as U+FFFD",
            highlight=False,
        )


def _settings(config: Path | None, fast: bool) -> PrivacySettings:
    settings = load_privacy_settings(config) if config is not None else PrivacySettings()
    return settings.model_copy(update={"ner": False}) if fast else settings


def _open(source: str) -> BinaryIO:
    return sys.stdin.buffer if source == "-" else Path(source).open("rb")


def _os_message(source: str, exc: OSError) -> str:
    return f"{source}: cannot read ({exc.strerror or type(exc).__name__})"


class _LineReader:
    """Lines decoded one at a time: a stray non-UTF-8 byte costs that line a U+FFFD, not the
    scan (and the rows already read), and the lines it touched are reported at the end."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.replaced: list[int] = []

    def __iter__(self) -> Iterator[str]:
        for number, raw in enumerate(self._stream, start=1):
            # A byte order mark (Windows editors write one) starts the file, not the first
            # row: left in, that row is not read as JSON and its offsets are one off.
            encoding = "utf-8-sig" if number == 1 else "utf-8"
            try:
                yield raw.decode(encoding)
            except UnicodeDecodeError:
                self.replaced.append(number)
                yield raw.decode(encoding, errors="replace")


def _texts(lines: Iterable[str]) -> Iterator[str]:
    """The `text` field of JSON object rows; any other line is taken as the text itself."""
    for line in lines:
        line = line.rstrip("\r\n")
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
    # Why it failed closed (detector_failed:ner...), so a broken setup is visible per row.
    failed = f" FAILED({','.join(assessment.reasons)})" if assessment.failed else ""
    action = assessment.action.value
    return f"{action:<10} {assessment.sensitivity:.2f}  {types}  [{categories}]{failed}"
