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
    assert second == {
        "entities": [], "sensitivity": 0.0, "action": "allow", "categories": [],
        "failed": False, "reasons": [],
    }  # fmt: skip


def test_scan_file_with_config(tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "rows.jsonl"
    source.write_text('{"text": "mail jane@mailhost.net"}\n')
    config = tmp_path / "cfg.yaml"
    config.write_text("privacy:\n  ner: false\n  sensitivity:\n    EMAIL: 0.95\n")
    result = CliRunner().invoke(app(), ["scan", str(source), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("local_only")


def test_scan_config_shares_the_gateway_loader(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "cfg.yaml"
    config.write_text("privacy:\n  ner: false\n  mask_threshold: ${MASK:-0.4}\n")
    result = CliRunner().invoke(app(), ["scan", "-", "--config", str(config)], input="hi\n")
    assert result.exit_code == 0, result.output  # ${VAR:-default} is expanded as in `serve`
    config.write_text("privacy:\n  ner_model: no_such_model\n")
    result = CliRunner().invoke(app(), ["scan", "-", "--config", str(config)], input="hi\n")
    assert result.exit_code == 2
    assert "no installed spaCy model" in result.stderr and "Traceback" not in result.output


def test_scan_missing_file_is_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app(), ["scan", str(tmp_path / "absent.txt")])
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_a_line_that_is_not_utf8_loses_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "rows.txt"
    good = [f"row {i} SSN 460-89-9847" for i in range(70)]  # more than one batch of 64
    lines = [line.encode() for line in good[:66]] + [b"bad \xff byte"]
    source.write_bytes(b"\n".join(lines + [line.encode() for line in good[66:]]) + b"\n")
    result = CliRunner().invoke(app(), ["scan", str(source), "--fast"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 71  # every row scanned, in order
    assert "line 67" in result.stderr


def test_failed_rows_say_which_detector_failed() -> None:
    result = CliRunner().invoke(app(), ["scan", "-", "--fast"], input="x" * 400_001 + "\n")
    assert result.exit_code == 0, result.output
    assert "FAILED(detector_failed:too_long)" in result.stdout
