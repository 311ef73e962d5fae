"""The embedded tier's chunked prefill: what it costs, and how soon a cancel frees the worker.

    .venv/bin/python benchmarks/prefill_cancel.py [--rounds 5] [--tokens 1000,2000]

Both sides run in one process, interleaved: "whole" is the prompt read by
`create_chat_completion` in one go (the tier's behaviour before the chunked prefill, and still
its behaviour with `PREFILL_CHUNK` set past the prompt's length), "chunked" reads it through
`_prefill` first. (1) Throughput: a cold cache each time, prefill plus one token. (2) Cancel:
a ~2,000-token request through the tier, cancelled 1 s into its prefill; the time until the
worker is free (queue depth 0). Prompts are this repository's docs, cut to size.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from pathlib import Path

from hybridroute.tiers import llamacpp
from hybridroute.tiers.base import LatencyProfile, TierInfo
from hybridroute.tiers.llamacpp import LlamaCppTier, ModelSpec, default_model_path
from hybridroute.types import Location, Request

ROOT = Path(__file__).resolve().parents[1]
TEXT = " ".join(
    (ROOT / name).read_text() for name in ("README.md", "docs/gateway.md", "docs/routing.md")
).split()
ASK = "\n\nSummarize the above in one sentence."


def messages(tier: LlamaCppTier, tokens: int) -> list[dict[str, str]]:
    """A user message whose templated prompt is at most `tokens` long (bisection on words)."""
    assert tier._llm is not None
    low, high = 1, len(TEXT)
    while low < high:
        mid = (low + high + 1) // 2
        text = [{"role": "user", "content": " ".join(TEXT[:mid]) + ASK}]
        if len(llamacpp._prompt_ids(tier._llm, tier._template, text)) <= tokens:
            low = mid
        else:
            high = mid - 1
    return [{"role": "user", "content": " ".join(TEXT[:low]) + ASK}]


def throughput(tier: LlamaCppTier, sizes: list[int], rounds: int) -> None:
    llm, never = tier._llm, threading.Event()
    assert llm is not None

    def answer(chat: list[dict[str, str]], prompt: list[int], chunked: bool) -> None:
        llm.reset()
        if chunked:
            assert llamacpp._prefill(llm, prompt, never, llamacpp.PREFILL_CHUNK)
        llm.create_chat_completion(messages=chat, temperature=0.0, max_tokens=1)  # type: ignore[arg-type]

    print(f"(1) prefill + 1 token, cold cache, {rounds} interleaved rounds, median")
    for size in sizes:
        chat = messages(tier, size)
        prompt = llamacpp._prompt_ids(llm, tier._template, chat)
        answer(chat, prompt, False)  # warm-up
        times: dict[bool, list[float]] = {False: [], True: []}
        for r in range(rounds):
            for chunked in (False, True) if r % 2 else (True, False):
                started = time.perf_counter()
                answer(chat, prompt, chunked)
                times[chunked].append(time.perf_counter() - started)
        whole, chunked_s = statistics.median(times[False]), statistics.median(times[True])
        print(
            f"  {len(prompt)} tokens: whole {len(prompt) / whole:.0f} tok/s, chunked "
            f"{len(prompt) / chunked_s:.0f} tok/s, time ratio chunked/whole {chunked_s / whole:.3f}"
        )


async def cancel_wait(tier: LlamaCppTier, request: Request) -> float:
    assert tier._llm is not None
    tier._llm.reset()  # a new prompt: nothing of it cached
    task = asyncio.ensure_future(tier.complete(request))
    await asyncio.sleep(1.0)  # well into the prefill
    task.cancel()
    cancelled_at = time.perf_counter()
    while tier.queue_depth:
        await asyncio.sleep(0.005)
    waited = time.perf_counter() - cancelled_at
    await asyncio.gather(task, return_exceptions=True)
    return waited


async def cancel(tier: LlamaCppTier, rounds: int) -> None:
    chat = messages(tier, 2000)
    request = Request.from_prompt(chat[0]["content"], temperature=0.0, max_tokens=1)
    chunk = llamacpp.PREFILL_CHUNK
    waits: dict[str, list[float]] = {"whole": [], "chunked": []}
    for r in range(rounds):
        for side in ("whole", "chunked") if r % 2 else ("chunked", "whole"):
            llamacpp.PREFILL_CHUNK = chunk if side == "chunked" else 10**9
            waits[side].append(await cancel_wait(tier, request))
    llamacpp.PREFILL_CHUNK = chunk
    print(f"(2) worker free after a cancel 1 s into a ~2,000-token prefill, {rounds} rounds each")
    for side, values in waits.items():
        shown = " ".join(f"{v:.2f}" for v in values)
        print(f"  {side}: median {statistics.median(values):.2f} s ({shown})")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tokens", default="1000,2000", help="prompt sizes for (1)")
    args = parser.parse_args()
    info = TierInfo(
        name="device",
        location=Location.DEVICE,
        trusted=True,
        model="smollm2",
        context_window=4096,
        latency=LatencyProfile(prefill_tps=250.0, decode_tps=80.0),
    )
    spec = ModelSpec(path=default_model_path(), n_ctx=4096, calibrate=False)
    tier = LlamaCppTier(info=info, model=spec)
    await tier.load()
    print(f"PREFILL_CHUNK {llamacpp.PREFILL_CHUNK}; SmolLM2-135M, n_threads 2")
    await asyncio.to_thread(throughput, tier, [int(t) for t in args.tokens.split(",")], args.rounds)
    await cancel(tier, args.rounds)
    await tier.aclose()


if __name__ == "__main__":
    asyncio.run(main())
