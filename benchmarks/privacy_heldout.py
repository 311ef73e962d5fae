"""Privacy scanner on a labelled prompt set: per category, how many sensitive values it found
and how many prompts it kept safe, and how many ordinary prompts it left alone.

    .venv/bin/python benchmarks/privacy_heldout.py benchmarks/data/privacy_set4.jsonl --half held
    .venv/bin/python benchmarks/privacy_heldout.py SET.jsonl --modes fast --json out.json

`--half dev` / `--half held` keeps the rows with an even / odd id number (`p012`, `n207`):
set 4 (benchmarks/data/privacy_set4.md) is split that way into a development half, whose
misses may be read, and a held-out half, of which only this summary is looked at.

A row is `{"id", "text", "category", "values": [exact substrings], "expect": "protect" |
"allow"}`. For a prompt to protect:

* *found*: every listed value is covered by a reported entity (each of its characters lies in
  some entity's span);
* *safe*: the value cannot reach an untrusted tier: the action is `local_only`, or it is
  `mask` and every value was found (a mask covers only what was found).

For a prompt to allow: *flagged* (some entity reported) and *not allowed* (action `mask` or
`local_only`; a false alarm that moves an ordinary prompt off the cheapest tier).

The summary prints counts only, never prompt texts: a held-out set stays held out only while
its misses are not read (`--misses` prints them, for a development set).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hybridroute.privacy import Action, Assessment, PrivacyScanner, PrivacySettings


def load(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        missing = [v for v in row.get("values", []) if v not in row["text"]]
        if missing:
            raise SystemExit(f"{path}:{number}: a listed value does not occur in its text")
        rows.append(row)
    return rows


def covered(text: str, value: str, assessment: Assessment) -> bool:
    """Some occurrence of `value` has every character inside a reported entity."""
    start = text.find(value)
    while start >= 0:
        end = start + len(value)
        inside = [0] * len(value)
        for entity in assessment.entities:
            for pos in range(max(start, entity.start), min(end, entity.end)):
                inside[pos - start] = 1
        if all(inside):
            return True
        start = text.find(value, start + 1)
    return False


def half(rows: Sequence[dict[str, Any]], which: str) -> list[dict[str, Any]]:
    """The development (even id number) or held-out (odd) half, or all rows."""
    if which == "all":
        return list(rows)
    parity = 0 if which == "dev" else 1
    return [row for row in rows if int("".join(c for c in row["id"] if c.isdigit())) % 2 == parity]


def score(rows: Sequence[dict[str, Any]], scanner: PrivacyScanner) -> dict[str, Any]:
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    misses: list[dict[str, Any]] = []
    for row in rows:
        text, values = row["text"], row.get("values", [])
        assessment = scanner.assess(text)
        counts = per[row["category"]]
        counts["prompts"] += 1
        if row["expect"] == "protect":
            found = all(covered(text, v, assessment) for v in values)
            safe = assessment.action is Action.LOCAL_ONLY or (
                assessment.action is Action.MASK and found
            )
            counts["found"] += found
            counts["safe"] += safe
            if not safe:
                misses.append({"id": row["id"], "action": assessment.action.value})
        else:
            flagged = bool(assessment.entities)
            counts["flagged"] += flagged
            counts["not_allowed"] += assessment.action is not Action.ALLOW
            if assessment.action is not Action.ALLOW:
                misses.append({"id": row["id"], "action": assessment.action.value})
    return {"categories": {k: dict(v) for k, v in sorted(per.items())}, "misses": misses}


def summary_lines(mode: str, result: dict[str, Any]) -> list[str]:
    lines = [f"## {mode} mode", "", "| category | prompts | found | safe | flagged | not allow |"]
    lines.append("|---|---|---|---|---|---|")
    totals: dict[str, int] = defaultdict(int)
    for name, counts in result["categories"].items():
        for key, value in counts.items():
            group = "negatives" if "flagged" in counts or "not_allowed" in counts else "positives"
            totals[f"{group}:{key}"] += value
        lines.append(
            f"| {name} | {counts.get('prompts', 0)} | {counts.get('found', '')} | "
            f"{counts.get('safe', '')} | {counts.get('flagged', '')} | "
            f"{counts.get('not_allowed', '')} |"
        )
    lines.append(
        f"| **all positives** | {totals['positives:prompts']} | {totals['positives:found']} | "
        f"{totals['positives:safe']} | | |"
    )
    lines.append(
        f"| **all negatives** | {totals['negatives:prompts']} | | | "
        f"{totals['negatives:flagged']} | {totals['negatives:not_allowed']} |"
    )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--modes", default="fast,full", help="fast, full or both (default)")
    parser.add_argument("--json", type=Path, help="write the counts (and miss ids) here")
    parser.add_argument("--misses", action="store_true", help="print missed prompts' texts")
    parser.add_argument("--half", choices=("all", "dev", "held"), default="all")
    args = parser.parse_args(argv)
    rows = half(load(args.dataset), args.half)
    report: dict[str, Any] = {"dataset": str(args.dataset), "rows": len(rows), "modes": {}}
    print(f"{args.dataset}: {len(rows)} prompts", file=sys.stderr)
    for mode in args.modes.split(","):
        scanner = PrivacyScanner(PrivacySettings(ner=mode == "full"))
        started = time.perf_counter()
        result = score(rows, scanner)
        seconds = time.perf_counter() - started
        print(f"{mode}: {seconds:.1f} s", file=sys.stderr)
        report["modes"][mode] = result
        print("\n".join(summary_lines(mode, result)) + "\n")
        if args.misses:
            texts = {row["id"]: row for row in rows}
            for miss in result["misses"]:
                row = texts[miss["id"]]
                print(f"- {miss['id']} [{row['category']}] {miss['action']}: {row['text']!r}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
