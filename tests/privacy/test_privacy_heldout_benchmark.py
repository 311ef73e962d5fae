"""The labelled-set scorer (benchmarks/privacy_heldout.py) on a hand-counted table."""

import importlib.util
import json
from pathlib import Path

import pytest

from hybridroute.privacy import PrivacyScanner, PrivacySettings

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "privacy_heldout.py"
_SPEC = importlib.util.spec_from_file_location("privacy_heldout", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
heldout = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(heldout)

ROWS = [
    # Found and masked: found, safe.
    {"id": "p1", "text": "my colleague Jan Kowalski's SSN is 536-22-1234", "category": "id",
     "values": ["536-22-1234"], "expect": "protect"},
    # Not found: neither.
    {"id": "p2", "text": "the code for the gate is 4471", "category": "id",
     "values": ["4471"], "expect": "protect"},
    # A negative left alone, and one flagged and moved off `allow`.
    {"id": "n3", "text": "What is the capital of France?", "category": "neg",
     "values": [], "expect": "allow"},
    {"id": "n4", "text": "Email jane.roe@gmail.com about the invoice", "category": "neg",
     "values": [], "expect": "allow"},
]  # fmt: skip


def test_counts_per_category() -> None:
    result = heldout.score(ROWS, PrivacyScanner(PrivacySettings(ner=False)))
    assert result["categories"]["id"] == {"prompts": 2, "found": 1, "safe": 1}
    assert result["categories"]["neg"] == {"prompts": 2, "flagged": 1, "not_allowed": 1}
    assert {m["id"] for m in result["misses"]} == {"p2", "n4"}


def test_halves_split_by_id_parity() -> None:
    assert [r["id"] for r in heldout.half(ROWS, "held")] == ["p1", "n3"]
    assert [r["id"] for r in heldout.half(ROWS, "dev")] == ["p2", "n4"]


def test_a_value_missing_from_its_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({**ROWS[0], "values": ["999-99-9999"]}) + "\n")
    with pytest.raises(SystemExit, match="does not occur"):
        heldout.load(path)


@pytest.mark.parametrize(
    ("name", "md5", "rows"),
    [
        ("privacy_set4.jsonl", "207e97c2b98a6d867ea95c357b1aa9b1", 589),
        ("privacy_set5.jsonl", "22a58438abd0ca184918511372e182f1", 420),
    ],
)
def test_the_shipped_sets_load_and_stay_as_frozen(name: str, md5: str, rows: int) -> None:
    import hashlib

    path = _PATH.parent / "data" / name
    assert hashlib.md5(path.read_bytes()).hexdigest() == md5  # a frozen set is never edited
    assert len(heldout.load(path)) == rows  # every value occurs in its text
