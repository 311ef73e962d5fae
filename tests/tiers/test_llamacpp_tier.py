"""The embedded tier against the real SmolLM2 model."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import os
import subprocess
import sys
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from hybridroute import errors
from hybridroute.executor.breaker import Breaker, BreakerState
from hybridroute.executor.run import Executor
from hybridroute.plans import Decision, Direct
from hybridroute.tiers import llamacpp
from hybridroute.tiers.base import HealthStatus, LatencyProfile, TierInfo
from hybridroute.tiers.llamacpp import (
    GRAMMAR_VERDICTS,
    RELOAD_AFTER_S,
    LlamaCppTier,
    ModelSpec,
    _llama_cpp_accepts,
)
from hybridroute.types import Completion, Location, Request
from tests.conftest import device_info as device_tier_info

QUESTION = "What is the capital of France?"
# ~22 KB that SmolLM2 reads as ~10,000 tokens, though 4 chars a token says ~1,900.
OVERSIZED = "§¶†" * 2500


def greedy(prompt: str = QUESTION, **kwargs: object) -> Request:
    return Request.from_prompt(prompt, temperature=0.0, max_tokens=24, seed=7, **kwargs)


async def test_answers_a_real_prompt_with_usage_and_timings(device_tier: LlamaCppTier) -> None:
    completion = await device_tier.complete(greedy())
    assert completion.text.strip()
    assert completion.tier == "device"
    assert completion.finish_reason in {"stop", "length"}
    assert completion.usage.prompt_tokens > 5
    assert 0 < completion.usage.completion_tokens <= 24
    timings = completion.timings
    assert timings.ttft_ms is not None and 0 < timings.ttft_ms < timings.total_ms
    assert timings.decode_tps is not None and timings.decode_tps > 1


async def test_stream_yields_the_same_text_as_complete(device_tier: LlamaCppTier) -> None:
    whole = await device_tier.complete(greedy())
    pieces = [delta async for delta in device_tier.stream(greedy())]
    assert len(pieces) > 2, "streaming should deliver several deltas"
    assert "".join(d.text for d in pieces) == whole.text
    final = pieces[-1]
    assert final.finish_reason == whole.finish_reason
    assert final.usage == whole.usage
    assert all(d.finish_reason is None for d in pieces[:-1])


async def test_token_stats_are_finite_and_per_token(device_tier: LlamaCppTier) -> None:
    completion = await device_tier.complete(greedy(want_token_stats=True))
    stats = completion.token_stats
    assert stats is not None
    # One stat per sampled token; a "stop" also sampled the end-of-turn token.
    extra = 1 if completion.finish_reason == "stop" else 0
    assert len(stats) == completion.usage.completion_tokens + extra
    for stat in stats:
        assert stat.entropy is not None and math.isfinite(stat.entropy) and stat.entropy >= 0
        assert stat.logprob is not None and math.isfinite(stat.logprob) and stat.logprob <= 0
    # Greedy decoding picks the most likely token: its probability is at least 1/vocab and
    # the entropy bounds it from below (p_max >= exp(-H)).
    for stat in stats:
        assert stat.logprob >= -stat.entropy - 1e-6


async def test_token_stats_are_omitted_unless_asked(device_tier: LlamaCppTier) -> None:
    completion = await device_tier.complete(greedy())
    assert completion.token_stats is None


def test_load_measures_this_machine(device_tier: LlamaCppTier) -> None:
    assert device_tier.loaded
    assert device_tier.load_ms is not None and device_tier.load_ms > 0
    measured = device_tier.measured
    assert measured is not None
    assert measured.prefill_tps > measured.decode_tps > 1
    assert device_tier.info.latency == measured


async def test_generation_does_not_block_the_event_loop(device_tier: LlamaCppTier) -> None:
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    await device_tier.complete(greedy())
    elapsed = time.perf_counter() - started
    stop.set()
    await task
    # The loop kept ticking while the model ran on its worker thread.
    assert ticks >= max(3, int(elapsed / 0.01 * 0.3))


async def test_concurrent_requests_are_serialized_and_all_answered(
    device_tier: LlamaCppTier,
) -> None:
    results = await asyncio.gather(*(device_tier.complete(greedy()) for _ in range(3)))
    texts = {r.text for r in results}
    assert len(texts) == 1, "greedy answers to the same prompt must be identical"


async def test_abandoned_stream_leaves_the_tier_usable(device_tier: LlamaCppTier) -> None:
    request = Request.from_prompt(
        "Write a long story about a cat.", temperature=0.0, max_tokens=200
    )
    stream = device_tier.stream(request)
    async for _delta in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    completion = await device_tier.complete(greedy())
    assert completion.text


async def test_required_tool_call_is_refused_clearly(device_tier: LlamaCppTier) -> None:
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    request = greedy(tools=(tool,), tool_choice="required")
    with pytest.raises(errors.BadRequest, match="tool call"):
        await device_tier.complete(request)


@asynccontextmanager
async def small_tier(
    path: Path,
    *,
    n_ctx: int = 256,
    chat_format: str | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[LlamaCppTier]:
    """A second, uncalibrated copy of the model with its own (small) context window."""
    info = TierInfo(
        name="small",
        location=Location.DEVICE,
        trusted=True,
        model="smollm2",
        context_window=n_ctx,
        latency=LatencyProfile(prefill_tps=250.0, decode_tps=80.0),
    )
    spec = ModelSpec(path=path, n_ctx=n_ctx, chat_format=chat_format, calibrate=False)
    tier = LlamaCppTier(info=info, model=spec, clock=clock)
    try:
        yield tier
    finally:
        await tier.aclose()


async def test_a_prompt_beyond_the_context_window_is_the_callers_error(
    device_tier: LlamaCppTier,
) -> None:
    with pytest.raises(
        errors.ContextOverflow, match=r"prompt is \d+ tokens, the context window is 2048"
    ):
        await device_tier.complete(greedy(OVERSIZED))
    # Through the executor: no breaker failure, and the next request is served.
    breaker = Breaker(clock=time.monotonic, failure_threshold=1)
    executor = Executor(tiers={"device": device_tier}, breakers={"device": breaker})
    decision = Decision(plan=Direct(tier="device"), reasons=())
    with pytest.raises(errors.BadRequest) as caught:
        await executor.complete(greedy(OVERSIZED), decision)
    assert "§" not in str(caught.value)
    assert breaker.state is BreakerState.CLOSED
    completion, _ = await executor.complete(greedy(), decision)
    assert completion.text


async def test_max_tokens_is_clipped_to_the_room_left(gguf_path: Path) -> None:
    async with small_tier(gguf_path, n_ctx=256) as tier:
        request = Request.from_prompt("cat " * 200, temperature=0.0, max_tokens=200)
        completion = await tier.complete(request)
    usage = completion.usage
    assert usage.prompt_tokens > 200
    assert usage.prompt_tokens + usage.completion_tokens <= 256


@pytest.mark.parametrize("words", [248, 2500])
async def test_an_overflow_is_the_callers_error_with_another_chat_format(
    gguf_path: Path, words: int
) -> None:
    # 248 words: the messages alone fit, the chatml markers push the prompt over.
    async with small_tier(gguf_path, n_ctx=256, chat_format="chatml") as tier:
        with pytest.raises(errors.ContextOverflow, match="context window"):
            await tier.complete(greedy("cat " * words))
        assert (await tier.complete(greedy())).text


async def test_a_model_file_that_is_not_gguf_reports_the_tier_down(tmp_path: Path) -> None:
    junk = tmp_path / ("d" * 200) / "model.gguf"
    junk.parent.mkdir()
    junk.write_bytes(b"not a GGUF file\x00\x01\n" * 64)
    async with small_tier(junk) as tier:
        assert (await tier.health()).status is HealthStatus.UNKNOWN
        with pytest.raises(errors.TierUnavailable) as caught:
            await tier.load()
        message = str(caught.value)
        # llama.cpp's own reason, on one line, cut short.
        assert "cannot load model: ValueError: Failed to load model from file" in message
        assert "\n" not in message and message.endswith("…") and len(message) < 240
        with pytest.raises(errors.TierUnavailable):
            await tier.complete(greedy())
        health = await tier.health()
        assert health.status is HealthStatus.DOWN
        assert health.detail.startswith("cannot load model: ValueError: Failed to load model")


async def test_a_failed_load_is_retried_by_health_checks(tmp_path: Path, gguf_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF half-copied")
    now = [0.0]
    async with small_tier(model, clock=lambda: now[0]) as tier:
        with pytest.raises(errors.TierUnavailable):
            await tier.load()
        model.write_bytes(gguf_path.read_bytes())  # the file is fixed in place
        now[0] += RELOAD_AFTER_S - 1
        assert (await tier.health()).status is HealthStatus.DOWN  # not retried yet
        now[0] += 1
        assert (await tier.health()).status is HealthStatus.UP  # healed without a restart
        assert (await tier.complete(greedy())).text


async def test_a_full_queue_refuses_at_once(gguf_path: Path) -> None:
    # One worker, max_queue 2: the third concurrent request is refused, not queued.
    tier = LlamaCppTier(
        info=device_tier_info(),
        model=ModelSpec(path=gguf_path, n_ctx=512, max_queue=2, calibrate=False),
    )
    await tier.load()
    try:
        long = Request.from_prompt(QUESTION, temperature=0.0, max_tokens=64, seed=7)
        first = asyncio.ensure_future(tier.complete(long))
        second = asyncio.ensure_future(tier.complete(long))
        await asyncio.sleep(0.05)  # both are on the worker's queue now
        started = time.perf_counter()
        with pytest.raises(errors.TierUnavailable, match="queue full"):
            await tier.complete(long)
        assert time.perf_counter() - started < 0.5
        assert (await first).text and (await second).text
    finally:
        await tier.aclose()


async def test_closing_waits_for_the_generation_without_blocking_the_loop(
    gguf_path: Path,
) -> None:
    tier = LlamaCppTier(info=device_tier_info(), model=ModelSpec(path=gguf_path, calibrate=False))
    await tier.load()
    running = asyncio.ensure_future(
        tier.complete(Request.from_prompt(QUESTION, temperature=0.0, max_tokens=96, seed=7))
    )
    await asyncio.sleep(0.2)  # generating now
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.ensure_future(ticker())
    started = time.perf_counter()
    await tier.aclose()
    elapsed = time.perf_counter() - started
    task.cancel()
    await asyncio.wait({running})
    assert elapsed > 0.05  # it did wait for the generation...
    assert ticks >= elapsed / 0.01 * 0.3  # ...while the loop kept running


def test_a_process_that_loaded_the_model_exits_without_resource_warnings(gguf_path: Path) -> None:
    # llama-cpp-python leaves two /dev/null files open; the tier closes them at exit.
    script = (
        "import asyncio, pathlib, sys\n"
        "from hybridroute.tiers.llamacpp import LlamaCppTier, ModelSpec\n"
        "from tests.conftest import device_info\n"
        "spec = ModelSpec(path=pathlib.Path(sys.argv[1]), n_ctx=256, calibrate=False)\n"
        "tier = LlamaCppTier(info=device_info(), model=spec)\n"
        "asyncio.run(tier.load())\n"
        "asyncio.run(tier.aclose())\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", script, str(gguf_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ResourceWarning" not in done.stderr, done.stderr[-2000:]


# One structured-output request to a fresh embedded tier, in a child process: the grammar
# llama.cpp failed to parse killed the process (SIGSEGV), after printing it to stderr.
GRAMMAR_SCRIPT = """
import asyncio, json, pathlib, sys
from hybridroute import errors
from hybridroute.tiers import llamacpp
from hybridroute.tiers.llamacpp import LlamaCppTier, ModelSpec
from hybridroute.types import Request
from tests.conftest import device_info

if len(sys.argv) > 3:  # as if the checks let a grammar llama.cpp cannot parse through
    llamacpp.grammar_for = lambda schema: sys.argv[3]

async def main():
    spec = ModelSpec(path=pathlib.Path(sys.argv[1]), n_ctx=256, calibrate=False)
    tier = LlamaCppTier(info=device_info(), model=spec)
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": json.loads(sys.argv[2])}}
    request = Request.from_prompt("Answer in JSON.", response_format=fmt, temperature=0.0,
                                  max_tokens=48, seed=1)
    try:
        print("answer", (await tier.complete(request)).text)
    except errors.BadRequest as exc:
        print("refused", exc)
    finally:
        await tier.aclose()

asyncio.run(main())
"""
SSN = "536-22-1234"


def structured(gguf_path: Path, schema: object, *grammar: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", GRAMMAR_SCRIPT, str(gguf_path), json.dumps(schema), *grammar],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def test_an_enum_value_with_a_quote_is_written_and_nothing_is_printed(gguf_path: Path) -> None:
    value = f'say "hi" {SSN}'
    schema = {"type": "object", "properties": {"s": {"enum": [value]}}, "required": ["s"]}
    done = structured(gguf_path, schema)
    assert done.returncode == 0, done.stderr[-2000:]  # was -11 (SIGSEGV)
    assert json.loads(done.stdout.removeprefix("answer ")) == {"s": value}
    assert SSN not in done.stderr


def test_a_grammar_llama_cpp_refuses_anyway_is_a_400_and_nothing_is_printed(
    gguf_path: Path,
) -> None:
    # The last line of defence: llama.cpp's own parser, run before generation, its stderr
    # silenced. Here it gets a grammar whose string is never closed.
    done = structured(gguf_path, {"type": "string"}, f'root ::= "{SSN}\\"')
    assert done.returncode == 0, done.stderr[-2000:]  # was -11 (SIGSEGV)
    assert done.stdout.strip() == (
        "refused tier 'device': response_format: more than this tier can follow "
        "(the schema's grammar is refused by llama.cpp)"
    )
    assert SSN not in done.stderr


def count_silencing(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry each time llama.cpp's grammar check sends the process's stderr to /dev/null."""
    silenced: list[int] = []
    real = llamacpp._silenced_stderr

    @contextlib.contextmanager
    def counted() -> Iterator[None]:
        silenced.append(1)
        with real():
            yield

    monkeypatch.setattr(llamacpp, "_silenced_stderr", counted)
    return silenced


async def test_a_repeated_schema_is_checked_by_llama_cpp_once(
    device_tier: LlamaCppTier, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each check silenced the whole process's stderr (a line another thread wrote then was
    # lost), on every structured request; an app sends the same schema each time.
    silenced = count_silencing(monkeypatch)
    name = f"n{uuid.uuid4().hex[:6]}"  # a grammar no other test has checked in this process
    schema = {"type": "object", "properties": {name: {"type": "integer"}}, "required": [name]}
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    answers = [(await device_tier.complete(greedy(response_format=fmt))).text for _ in range(3)]
    assert len(silenced) == 1  # was 3
    assert answers[0].startswith("{") and answers.count(answers[0]) == 3


def test_verdicts_are_per_model_bounded_and_keep_no_model_alive(
    gguf_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llama_cpp import Llama

    silenced = count_silencing(monkeypatch)
    grammar = f'root ::= "{uuid.uuid4().hex}"'
    first = Llama(model_path=str(gguf_path), vocab_only=True, verbose=False)
    assert _llama_cpp_accepts(first, grammar) and _llama_cpp_accepts(first, grammar)
    refused = 'root ::= "never closed'  # a refusal is remembered too
    assert not _llama_cpp_accepts(first, refused) and not _llama_cpp_accepts(first, refused)
    assert len(silenced) == 2
    # The verdict is the vocabulary's: another model (a reload, another tier) checks anew.
    second = Llama(model_path=str(gguf_path), vocab_only=True, verbose=False)
    assert _llama_cpp_accepts(second, grammar) and len(silenced) == 3
    # Bounded: GRAMMAR_VERDICTS newer grammars push the oldest verdict out.
    for i in range(GRAMMAR_VERDICTS):
        assert _llama_cpp_accepts(second, f'root ::= "{i}"')
    assert _llama_cpp_accepts(second, grammar) and len(silenced) == 4 + GRAMMAR_VERDICTS
    # A model closed or replaced is not kept alive by its verdicts.
    gone = weakref.ref(first)
    del first
    gc.collect()
    assert gone() is None


def notes(count: int, topic: str) -> str:
    """A long prompt of distinct lines: about 22 SmolLM2 tokens a line."""
    return "\n".join(
        f"Note {i}: the {topic} router read request {i} and sent it to tier {i % 7}."
        for i in range(count)
    )


async def cancel_after(tier: LlamaCppTier, request: Request, seconds: float) -> float:
    """Start `request`, cancel it after `seconds`; how long the worker then stays busy."""
    task = asyncio.ensure_future(tier.complete(request))
    await asyncio.sleep(seconds)
    assert tier.queue_depth == 1 and not task.done()
    task.cancel()
    cancelled_at = time.perf_counter()
    while tier.queue_depth:
        await asyncio.sleep(0.005)
    busy = time.perf_counter() - cancelled_at
    with pytest.raises(asyncio.CancelledError):
        await task
    return busy


async def test_a_cancelled_prefill_frees_the_worker_within_a_chunk(
    device_tier: LlamaCppTier,
) -> None:
    # ~1,800 tokens: reading them takes ~6 s here, and llama.cpp cannot stop inside a read.
    request = greedy(notes(82, "cancelled"))
    busy = await cancel_after(device_tier, request, 0.5)
    # The prompt is read a chunk at a time (PREFILL_CHUNK tokens, ~0.3 s here),
    # checking for a cancel in between; the rest of it is never read.
    assert busy < 1.5


async def test_answers_after_a_cancelled_prefill_are_the_fresh_models(
    device_tier: LlamaCppTier, gguf_path: Path
) -> None:
    long = greedy(notes(22, "resumed"), want_token_stats=True)  # ~500 tokens, ~1.7 s
    short = greedy(want_token_stats=True)
    async with small_tier(gguf_path, n_ctx=2048) as fresh:
        expected = [answer(await fresh.complete(long)), answer(await fresh.complete(short))]
    # A cancel leaves part of the prompt in the cache: the same prompt goes on from it...
    await cancel_after(device_tier, long, 0.4)
    assert answer(await device_tier.complete(long)) == expected[0]
    # ...and another one drops what it does not share.
    await cancel_after(device_tier, greedy(notes(22, "dropped")), 0.4)
    assert answer(await device_tier.complete(short)) == expected[1]
    assert expected[0][2].prompt_tokens > 400  # the whole prompt, the cached part included


def answer(completion: Completion) -> tuple[object, ...]:
    """What greedy decoding must reproduce exactly: everything but the timings."""
    c = completion
    return (c.text, c.finish_reason, c.usage, c.token_stats)
