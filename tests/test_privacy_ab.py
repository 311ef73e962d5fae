"""benchmarks/privacy_ab.py as a user runs it: a real process, tiny settings (~10 s)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "privacy_ab.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_head_against_the_working_tree_prints_the_table_and_cleans_up(tmp_path: Path) -> None:
    out = tmp_path / "ab.json"
    args = ("--rounds", "2", "--calls", "20", "--tokens", "200", "--base", "HEAD")
    result = run(*args, "--json", str(out))
    assert result.returncode == 0, result.stderr

    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    rows = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert len(rows) == 5  # header, separator, prose, pii_dense, cjk
    assert all(row.count("|") == 8 for row in rows)
    assert rows[2].startswith("| prose | 200 |") and rows[3].startswith("| pii_dense | 200 |")
    assert rows[4].startswith("| cjk | 200 |")
    number = r"\d+\.\d{3}"
    for row in rows[2:]:
        assert re.search(rf"\| {number} / {number} \| {number} / {number} \|", row), row
        assert re.search(r"\| \d+ of 60 \|$", row), row
    assert f"- base: {head[:7]}" in result.stdout
    assert "- head: working tree on" in result.stdout
    assert "- machine: " in result.stdout
    assert "privacy_ab.py --base " + head[:7] in result.stdout

    report = json.loads(out.read_text())
    assert report["base"]["commit"] == head and report["head"]["working_tree"]
    assert [r["kind"] for r in report["rows"]] == ["prose", "pii_dense", "cjk"]
    for row in report["rows"]:
        assert row["base"]["calls"] == row["head"]["calls"] == 40
        assert row["ratio_p50"] > 0

    # The exported copy is gone once the run ends.
    match = re.search(r"temporary directory: (\S+)", result.stderr)
    assert match is not None, result.stderr
    assert not Path(match.group(1)).exists()


def test_an_unknown_revision_is_a_clear_error_with_exit_code_2() -> None:
    result = run("--base", "no-such-revision-0c0ffee", "--rounds", "1", "--calls", "1")
    assert result.returncode == 2
    assert "unknown git revision 'no-such-revision-0c0ffee'" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
