import json

import typer
from typer.testing import CliRunner

from hybridroute.cli.scan import scan


def app() -> typer.Typer:
    application = typer.Typer()
    application.command()(scan)
    application.command("version")(lambda: None)  # keeps `scan` a subcommand
    return application


def test_scan_jsonl_and_plain_lines() -> None:
    rows = '{"text": "SSN 460-89-9847"}\nhello world\n'
    result = CliRunner().invoke(app(), ["scan", "-", "--json", "--fast"], input=rows)
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.output.splitlines())
    assert first["action"] == "local_only"
    assert first["entities"] == [{"type": "US_SSN", "start": 4, "end": 15, "score": 1.0}]
    assert second == {"entities": [], "sensitivity": 0.0, "action": "allow", "categories": []}


def test_scan_file_with_config(tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "rows.jsonl"
    source.write_text('{"text": "mail jane@example.com"}\n')
    config = tmp_path / "cfg.yaml"
    config.write_text("privacy:\n  ner: false\n  sensitivity:\n    EMAIL: 0.95\n")
    result = CliRunner().invoke(app(), ["scan", str(source), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("local_only")
