"""The embedded tier's grammar step for a structured request, and what each part of it costs.

    .venv/bin/python benchmarks/grammar_step.py [--rounds 50]

For each schema, the median of `--rounds` calls: the whole step of a repeated request
(`LlamaCppTier._grammar`: conversion and checks, llama.cpp's verdict, `LlamaGrammar`), the
conversion and checks alone (`grammar_for`), llama.cpp's own parse as every request ran it
before its verdict was remembered (`_llama_cpp_builds`, stderr silenced meanwhile), the
remembered verdict (`_llama_cpp_accepts` on a repeat: a SHA-256 of the grammar and a lookup),
and `LlamaGrammar.from_string`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from llama_cpp import Llama, LlamaGrammar

from hybridroute.tiers.base import LatencyProfile, TierInfo
from hybridroute.tiers.json_grammar import grammar_for
from hybridroute.tiers.llamacpp import (
    LlamaCppTier,
    ModelSpec,
    _llama_cpp_accepts,
    _llama_cpp_builds,
    default_model_path,
)
from hybridroute.types import Location

SCHEMAS: dict[str, dict[str, Any]] = {
    "3 fields": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["name", "age"],
    },
    "enum of 200": {
        "type": "object",
        "properties": {"c": {"enum": [f"value number {i}" for i in range(200)]}},
        "required": ["c"],
    },
    "maxLength 1000": {
        "type": "object",
        "properties": {"s": {"type": "string", "maxLength": 1000}},
        "required": ["s"],
    },
    "enum of 2000 long": {
        "type": "object",
        "properties": {
            "c": {"enum": [f"a longer value, number {i:05d}, " * 2 for i in range(2000)]}
        },
        "required": ["c"],
    },
}


def median_ms(fn: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def row(label: str, schema: dict[str, Any], tier: LlamaCppTier, llm: Llama, rounds: int) -> str:
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    text = grammar_for(schema)
    tier._grammar(llm, fmt)  # the first request: its verdict is remembered
    step = median_ms(lambda: tier._grammar(llm, fmt), rounds)
    convert = median_ms(lambda: grammar_for(schema), rounds)
    parse = median_ms(lambda: _llama_cpp_builds(llm._model, text), rounds)
    remembered = median_ms(lambda: _llama_cpp_accepts(llm, text), rounds)
    holder = median_ms(lambda: LlamaGrammar.from_string(text), rounds * 20)
    return (
        f"{label:18s} {len(text):7d} B {step:6.3f} ms {convert:9.3f} ms "
        f"{parse:13.3f} ms {remembered:8.3f} ms {holder * 1000:9.2f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=50)
    rounds = parser.parse_args().rounds
    path = default_model_path()
    info = TierInfo(
        name="device",
        location=Location.DEVICE,
        trusted=True,
        model="smollm2",
        latency=LatencyProfile(prefill_tps=250.0, decode_tps=80.0),
    )
    tier = LlamaCppTier(info=info, model=ModelSpec(path=path))
    llm = Llama(model_path=str(path), n_ctx=256, verbose=False)
    print(
        f"{'schema':18s} {'grammar':>9s} {'step':>9s} {'grammar_for':>12s} "
        f"{'llama.cpp parse':>16s} {'remembered':>11s} {'from_string':>12s}"
    )
    for label, schema in SCHEMAS.items():
        print(row(label, schema, tier, llm, rounds))


if __name__ == "__main__":
    main()
