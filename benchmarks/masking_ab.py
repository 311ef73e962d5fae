"""Masking and restoring cost: `privacy/masking.py` at a git revision against the working tree.

    .venv/bin/python benchmarks/masking_ab.py --base a80b472

One realistic request (a system prompt, a customer turn with a name, an e-mail address, a
phone number and an IBAN, a tool call and its result, three tools, a response schema; ~2.3k
characters, ~40 string leaves) is scanned once; only masking is timed, as the executor does it
before an untrusted tier (every leaf and the joined text, two passes), then restoring a
~350-character answer whole and as a stream of 4-character chunks. `exact` spells every value
one way; `spellings` adds the other spellings review 14 found leaking (a `name` field
"marta_kowalski", a tool `notify_marta_kowalski`, a regex-escaped e-mail in a schema pattern,
"MARTA KOWALSKI" in a tool result). Both versions run in one process, alternating by round.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import types
from collections.abc import Callable
from typing import Any

from revision import module_at

from hybridroute.privacy import PrivacyScanner, PrivacySettings
from hybridroute.types import Message, Request

MODULE = "src/hybridroute/privacy/masking.py"
ANSWER = "Dear <PERSON_1>, your order is on its way; we emailed <EMAIL_1> and will refund. " * 4


def request(spellings: bool) -> Request:
    name = "MARTA KOWALSKI" if spellings else "Marta Kowalski"
    tool = lambda fn, text: {  # noqa: E731
        "type": "function",
        "function": {"name": fn, "description": text, "parameters": {"type": "object"}},
    }
    tools = [tool("lookup_order", "Find an order"), tool("send_email", "E-mail the customer")]
    if spellings:
        tools.append(tool("notify_marta_kowalski", "Ping marta.kowalski about escalations"))
    system = "You are the support assistant of a logistics company; answer concisely. " * 10
    return Request(
        messages=(
            Message(role="system", content=system),
            Message(
                role="user",
                content="Hi, I'm Marta Kowalski. Order AB123456 has not arrived. Reach me at "
                "zed.quux@examplecorp.io or +48 601 234 567.",
                extra={"name": "marta_kowalski"} if spellings else {},
            ),
            Message(
                role="assistant",
                content=None,
                extra={
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "lookup_order", "arguments": '{"order": "AB1"}'},
                        }
                    ]
                },
            ),
            Message(
                role="tool",
                content=json.dumps({"recipient": name, "address": "ul. Lipowa 12, Warszawa"}),
                extra={"tool_call_id": "c1"},
            ),
            Message(
                role="user",
                content="Email zed.quux@examplecorp.io and refund to "
                "PL61 1090 1014 0000 0712 1981 2874 if it is late. " * 2,
            ),
        ),
        tools=tuple(tools),
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "reply",
                "schema": {"properties": {"to": {"pattern": r"^zed\.quux@examplecorp\.io$"}}},
            },
        }
        if spellings
        else None,
    )


def timer(
    module: types.ModuleType, req: Request, assessments: list[Any]
) -> dict[str, Callable[[], object]]:
    parts = req.strings()
    joined = "\n".join(p for p in parts if p)

    def mask() -> Any:
        session = module.MaskSession()
        for text, assessment in zip([joined, *parts], assessments, strict=True):
            session.mask(text, assessment.entities)
        entities = iter(assessments[1:])
        req.map_strings(lambda text: session.mask(text, next(entities).entities))
        return session

    session = mask()

    def stream() -> None:
        restorer = session.stream_restorer()
        for at in range(0, len(ANSWER), 4):
            restorer.feed(ANSWER[at : at + 4])
        restorer.flush()

    return {"mask": mask, "restore": lambda: session.restore(ANSWER), "stream": stream}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--calls", type=int, default=300, help="per version, kind and round")
    args = parser.parse_args(argv)
    versions = {"base": module_at(MODULE, args.base), "head": module_at(MODULE, None)}
    scanner = PrivacyScanner(PrivacySettings(ner=False))
    samples: dict[tuple[str, str, str], list[float]] = {}
    for kind in ("exact", "spellings"):
        req = request(kind == "spellings")
        parts = req.strings()
        assessments = scanner.assess_many(["\n".join(p for p in parts if p), *parts])
        timers = {name: timer(module, req, assessments) for name, module in versions.items()}
        for round_ in range(args.rounds):
            order = list(timers) if round_ % 2 == 0 else list(reversed(timers))
            for name in order:
                for what, call in timers[name].items():
                    times = samples.setdefault((kind, what, name), [])
                    for _ in range(args.calls):
                        started = time.perf_counter()
                        call()
                        times.append(time.perf_counter() - started)
    print("| request | step | base p50 / p95 µs | head p50 / p95 µs | head/base p50 |")
    print("|---|---|---|---|---|")
    for kind in ("exact", "spellings"):
        for what in ("mask", "restore", "stream"):
            cells = []
            for name in ("base", "head"):
                times = sorted(samples[(kind, what, name)])
                cells.append((statistics.median(times) * 1e6, times[int(len(times) * 0.95)] * 1e6))
            ratio = cells[1][0] / cells[0][0]
            print(
                f"| {kind} | {what} | {cells[0][0]:.1f} / {cells[0][1]:.1f} | "
                f"{cells[1][0]:.1f} / {cells[1][1]:.1f} | {ratio:.2f} |"
            )
    print(f"\n- machine: {platform.machine()}, Python {platform.python_version()}")
    print(
        f"- rerun: `.venv/bin/python benchmarks/masking_ab.py --base {args.base} "
        f"--rounds {args.rounds} --calls {args.calls}`"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
