"""benchmarks/privacy_gateway.py as a user runs it: a real gateway process, a recording
upstream on loopback, the openai SDK; a tiny set in fast mode (~10 s)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "privacy_gateway.py"

EMAIL = "kofi.asante.1987@gmail.com"
ROWS = [
    # An e-mail address in a tool call's arguments: masked before the untrusted upstream.
    {
        "id": "p002",
        "category": "contact",
        "shape": "tool_args",
        "expect": "protect",
        "values": [EMAIL],
        "request": {
            "messages": [
                {"role": "user", "content": "Send the invoice to my private address."},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {
                                "name": "send_invoice",
                                "arguments": json.dumps({"to": EMAIL, "invoice": 40}),
                            },
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call_1", "content": "sent"},
                {"role": "user", "content": "Thanks, summarise what you did."},
            ]
        },
    },
    # A secret nothing can recognise without a label: it reaches the upstream whole.
    {
        "id": "p004",
        "category": "credentials",
        "expect": "protect",
        "values": ["heron-copper-lantern"],
        "text": "The shed lock opens with heron-copper-lantern, remind me tomorrow.",
    },
    {"id": "n002", "category": "negative", "expect": "allow", "values": [],
     "text": "What is the capital of Portugal?"},
    # Odd id: the held-out half, left out by --half dev.
    {"id": "n003", "category": "negative", "expect": "allow", "values": [],
     "text": "Name a colour."},
]  # fmt: skip


def test_a_tiny_set_through_the_real_gateway(tmp_path: Path) -> None:
    dataset = tmp_path / "set.jsonl"
    dataset.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    out = tmp_path / "out.json"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(dataset), "--half", "dev", "--modes", "fast",
         "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "3 rows (dev)" in result.stdout
    counts = json.loads(out.read_text())["fast"]["groups"]
    assert counts["all"] == {
        "protect": 2, "refused": 0, "masked": 1, "error": 0, "intact": 1, "safe": 1,
        "allow": 1, "not_allowed": 0,
    }  # fmt: skip
    assert counts["tool_args"]["safe"] == 1 and counts["prompt"]["intact"] == 1
    # Counts only: no text of the set is printed without --misses.
    assert "heron" not in result.stdout and EMAIL not in result.stdout


def test_a_value_missing_from_its_request_is_named_by_line(tmp_path: Path) -> None:
    dataset = tmp_path / "bad.jsonl"
    row = {"id": "p001", "category": "x", "expect": "protect", "values": ["absent"],
           "text": "nothing here"}  # fmt: skip
    dataset.write_text("\n" + json.dumps(row) + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(dataset), "--modes", "fast"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "bad.jsonl:2: a listed value does not occur in its request" in result.stderr


def test_the_shipped_request_set_loads_and_stays_as_frozen() -> None:
    import hashlib
    import importlib.util

    spec = importlib.util.spec_from_file_location("privacy_gateway", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = ROOT / "benchmarks" / "data" / "privacy_set6.jsonl"
    # A frozen set is never edited (benchmarks/data/privacy_set6.md).
    assert hashlib.md5(path.read_bytes()).hexdigest() == "55ac70a720a34d63c82caff09d4b13aa"
    rows = module.load(path)  # every value occurs in a string of its request
    assert len(rows) == 300 and sum(row["expect"] == "protect" for row in rows) == 180


def _module():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("privacy_gateway", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_set_7_stays_as_frozen() -> None:
    import hashlib

    path = ROOT / "benchmarks" / "data" / "privacy_set7.jsonl"
    assert hashlib.md5(path.read_bytes()).hexdigest() == "e3b7e372c52edc62c6930c6913fb1798"
    rows = _module().load(path)
    assert len(rows) == 90 and sum(row["expect"] == "protect" for row in rows) == 60


def test_a_cjk_value_leaks_inside_running_text_and_by_its_pieces() -> None:
    """CJK runs words together: a name inside a sentence, or a road left in clear by a
    partial mask, is a leak (review 20: both were scored safe before)."""
    module = _module()
    name, address = "王芳", "文三路478号5栋301室"
    request = {"messages": [{"role": "user", "content": f"我叫{name}，住在杭州市{address}。"}]}
    assert module._whole(name).search("请帮王芳写一封信")
    pieces = module.distinctive_pieces(request, [name, address])
    assert "王芳" in pieces[name]
    assert "文三" in pieces[address] and "478" in pieces[address]
    assert not module._whole("Ann").search("anna")  # Latin values keep their boundaries
