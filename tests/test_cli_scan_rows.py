"""`hybridroute scan` rows as a user gets them: a fail-closed verdict is said to be one, and a
byte order mark is not part of the first row."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from hybridroute.privacy import Action, Assessment
from tests.test_cli import BIN, run

SSN, EMAIL = "460-89-9847", "jane@mailhost.net"


def test_json_rows_carry_failed_and_reasons_without_values(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("privacy: {ner: false, max_chars: 200}\n")
    rows = tmp_path / "rows.txt"
    short = f"SSN {SSN} for {EMAIL}"
    rows.write_text(f"{short}\n{short} {'x' * 300}\n")
    result = run("scan", str(rows), "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    real, failed = (json.loads(line) for line in result.stdout.splitlines())
    assert real["failed"] is False and real["action"] == "local_only"
    assert {"entity:US_SSN", "entity:EMAIL"} <= set(real["reasons"])
    # Too long to scan: fails closed, and says so, as the plain output's FAILED(...) does.
    assert failed["failed"] is True and failed["reasons"] == ["detector_failed:too_long"]
    assert failed["action"] == "local_only" and failed["sensitivity"] == 1.0
    assert {"entities", "sensitivity", "action", "categories"} <= set(failed)
    assert SSN not in result.stdout and EMAIL not in result.stdout
    plain = run("scan", str(rows), "--config", str(config))
    assert "FAILED(detector_failed:too_long)" in plain.stdout.splitlines()[1]


def test_the_library_row_keeps_its_keys() -> None:
    # Callers of as_row()/to_json() pin these four keys (tests/privacy); the scan row adds two.
    failed = Assessment(
        entities=(),
        sensitivity=1.0,
        action=Action.LOCAL_ONLY,
        failed=True,
        reasons=("detector_failed:ner",),
    )
    assert set(failed.as_row()) == {"entities", "sensitivity", "action", "categories"}
    row = json.loads(failed.to_json(with_reasons=True))
    assert row["failed"] is True and row["reasons"] == ["detector_failed:ner"]


def test_a_byte_order_mark_is_not_part_of_the_first_row(tmp_path: Path) -> None:
    line = json.dumps({"text": f"Write to {EMAIL} today"})
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + f"{line}\n{line}\n".encode())
    plain = tmp_path / "plain.txt"
    plain.write_bytes(f"\ufeffmail {EMAIL}\n".encode())
    for source, stdin in ((str(bom), None), ("-", bom.read_bytes())):
        result = subprocess.run(
            [str(BIN), "scan", source, "--fast", "--json"],
            input=stdin,
            capture_output=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        first, second = (json.loads(row) for row in result.stdout.splitlines())
        assert first == second  # read as JSON, offsets into its text field
        (entity,) = first["entities"]
        assert (entity["type"], entity["start"]) == ("EMAIL", len("Write to "))
    text_rows = run("scan", str(plain), "--fast", "--json")
    (entity,) = json.loads(text_rows.stdout)["entities"]
    assert (entity["start"], entity["end"]) == (len("mail "), len("mail ") + len(EMAIL))
