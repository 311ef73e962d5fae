"""The embedded tier's queue under real concurrency, and requests it cannot serve.

Real parts: the SmolLM2 model run by llama.cpp, asyncio tasks racing for its one worker, and
the loopback OpenAI-compatible upstream of tests/upstreams.py as the second tier.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from hybridroute import errors
from hybridroute.capability import CapabilityScorer, CapabilitySettings
from hybridroute.config import RoutingSettings
from hybridroute.context import Hints, RequestContext
from hybridroute.executor.breaker import BreakerState
from hybridroute.executor.run import Attempt
from hybridroute.router import Router
from hybridroute.tiers.llamacpp import LlamaCppTier, ModelSpec
from hybridroute.tiers.openai_compatible import OpenAICompatibleTier
from hybridroute.types import Message, Request
from tests.conftest import cloud_tier, device_info
from tests.upstreams import FaultyUpstream

MAX_QUEUE = 2
TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
# As a Gemma GGUF's template: no system role.
NO_SYSTEM = (
    "{% if messages[0]['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}<|im_start|>assistant\n"
)
# A template that puts the message into its refusal: its words must not reach the error.
QUOTES_THE_MESSAGE = (
    "{% if messages[0]['role'] == 'system' %}"
    "{{ raise_exception('cannot take: ' + messages[0]['content']) }}{% endif %}"
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}<|im_start|>assistant\n"
)
SECRET = "the vault code is 4471"


def short(i: int = 0, max_tokens: int = 4) -> Request:
    return Request.from_prompt(f"Count to {i}.", temperature=0.0, max_tokens=max_tokens, seed=7)


def notes(topic: str, count: int = 15) -> Request:
    """A request slow to start: a prompt of distinct lines, about 22 SmolLM2 tokens each
    (~1 s to read 15 on an idle 2-core machine, much longer on a busy one). A topic of its
    own: the model reuses the cached prefix of the prompt before."""
    prompt = "\n".join(
        f"{topic} note {i}: the router read request {i} and sent it to tier {i % 7}."
        for i in range(count)
    )
    return Request.from_prompt(prompt, temperature=0.0, max_tokens=8, seed=7)


def tool_required() -> Request:
    return Request.from_prompt(
        "What is the weather in Paris?", max_tokens=8, tools=(TOOL,), tool_choice="required"
    )


def with_system(system: str = "Be brief.") -> Request:
    return Request(
        messages=(Message(role="system", content=system), Message(role="user", content="hi")),
        temperature=0.0,
        max_tokens=4,
    )


@pytest.fixture(scope="module")
def queued(gguf_path: Path) -> Iterator[LlamaCppTier]:
    """The model with room for MAX_QUEUE requests, queued or running."""
    spec = ModelSpec(path=gguf_path, n_ctx=2048, max_queue=MAX_QUEUE, calibrate=False)
    tier = LlamaCppTier(info=device_info(), model=spec)
    asyncio.run(tier.load())
    yield tier
    asyncio.run(tier.aclose())


@pytest.fixture
async def templated(gguf_path: Path) -> AsyncIterator[LlamaCppTier]:
    """A copy of the model whose chat template is set by the test (`use_template`)."""
    spec = ModelSpec(path=gguf_path, n_ctx=1024, calibrate=False)
    tier = LlamaCppTier(info=device_info(), model=spec)
    await tier.load()
    yield tier
    await tier.aclose()


def use_template(tier: LlamaCppTier, template: str) -> None:
    """What a GGUF with `template` as its chat template gives the tier."""
    assert tier._template is not None, "SmolLM2 is built with its GGUF's own template"
    tier._template = Jinja2ChatFormatter(template=template, eos_token="</s>", bos_token="<s>")


def router(**tiers: LlamaCppTier | OpenAICompatibleTier) -> Router:
    """`model: auto` that finds the device able to answer a plain prompt (local_ok 0.9)."""
    capability = CapabilityScorer(CapabilitySettings(fallback=0.9))
    return Router(tiers=tiers, routing=RoutingSettings(), capability=capability)


def cloud(base_url: str) -> OpenAICompatibleTier:
    return cloud_tier(base_url, model="ok")  # the loopback upstream answers "ok"


@pytest.fixture
async def auto(device_tier: LlamaCppTier, faulty_upstream: FaultyUpstream) -> AsyncIterator[Router]:
    """`model: auto` over the device (planned first for a plain prompt) and the cloud."""
    async with cloud(faulty_upstream.base_url) as remote:
        both = router(device=device_tier, cloud=remote)
        decision = both.route(short())
        assert (decision.plan.tier, decision.fallbacks) == ("device", ("cloud",))
        yield both


async def ask(router: Router, request: Request, *, streamed: bool, **context: Any) -> Any:
    """(text, served) of a routed request, whole or streamed."""
    ctx = RequestContext(**context)
    if not streamed:
        routed = await router.complete(request, ctx)
        return routed.completion.text, routed.served
    stream = await router.stream(request, ctx)
    text = "".join([delta.text async for delta in stream])
    return text, stream.served


# --- the queue ---------------------------------------------------------------------------


@pytest.mark.parametrize("burst", [3, 8])
async def test_a_burst_admits_max_queue_requests_and_refuses_the_rest(
    queued: LlamaCppTier, burst: int
) -> None:
    depths: list[int] = []

    async def one(i: int) -> str:
        finish = None
        try:
            async for delta in queued.stream(short(i)):  # to its end: the stream closes
                depths.append(queued.queue_depth)
                finish = delta.finish_reason
        except errors.TierUnavailable as exc:
            assert "queue full" in str(exc)
            return "refused"
        assert finish is not None
        return "served"

    # All of them reach the queue check in the same pass of the event loop.
    results = await asyncio.gather(*(one(i) for i in range(burst)))
    assert collections.Counter(results) == {"served": MAX_QUEUE, "refused": burst - MAX_QUEUE}
    assert max(depths) <= MAX_QUEUE
    assert queued.queue_depth == 0


async def test_an_abandoned_queued_request_frees_its_place_at_once(queued: LlamaCppTier) -> None:
    running = asyncio.ensure_future(queued.complete(notes("Abandoned")))
    tasks = [running]
    try:
        await asyncio.sleep(0.1)
        assert queued.queue_depth == 1 and not running.done()
        waiting = asyncio.ensure_future(queued.complete(short(1)))
        tasks.append(waiting)
        await asyncio.sleep(0.05)
        assert queued.queue_depth == MAX_QUEUE  # full: it waits behind the long one

        waiting.cancel()  # its caller left (a client hanging up cancels it so)
        await asyncio.wait({waiting}, timeout=0.5)
        assert waiting.cancelled(), "an abandoned request waited for the one before it"
        assert queued.queue_depth == 1 and not running.done()

        # Its place is free now: a new request is admitted while the long one still runs.
        admitted = asyncio.ensure_future(queued.complete(short(2)))
        tasks.append(admitted)
        await asyncio.sleep(0.05)
        assert not admitted.done(), "refused: the abandoned request still held its place"
        assert queued.queue_depth == MAX_QUEUE and not running.done()
        assert (await running).usage.prompt_tokens > 300
        assert (await admitted).text
        assert queued.queue_depth == 0
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_requests_queued_and_left_one_after_another_never_fill_the_queue(
    queued: LlamaCppTier,
) -> None:
    running = asyncio.ensure_future(queued.complete(notes("Sequential")))
    try:
        await asyncio.sleep(0.1)
        # One after another, each queued and left while the long one runs: with the places
        # held, only the first would have got in.
        for i in range(4):
            stream = queued.stream(short(i))
            waiting = asyncio.ensure_future(anext(stream))
            await asyncio.sleep(0.02)
            assert queued.queue_depth == MAX_QUEUE, f"request {i} was not admitted"
            waiting.cancel()
            await asyncio.wait({waiting}, timeout=0.5)
            assert waiting.done() and queued.queue_depth == 1
        assert not running.done()
        assert (await running).text
        assert queued.queue_depth == 0
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


# --- what the device cannot serve goes to the next tier ----------------------------------


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_required_tool_call_under_auto_goes_to_the_next_tier(
    auto: Router, faulty_upstream: FaultyUpstream, streamed: bool
) -> None:
    before = len(faulty_upstream.received)
    text, served = await ask(auto, tool_required(), streamed=streamed)
    assert (text, served.tier, served.degraded) == ("ok", "cloud", True)
    assert served.attempts == (Attempt(tier="device", error="Unsupported"),)
    sent = faulty_upstream.received[before:]
    assert len(sent) == 1 and sent[0]["tool_choice"] == "required"
    # A request the device cannot serve says nothing about its health.
    assert auto.breakers["device"].state is BreakerState.CLOSED


def schema_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}


async def test_a_schema_beyond_the_devices_grammar_goes_to_the_next_tier_a_malformed_one_not(
    auto: Router, faulty_upstream: FaultyUpstream
) -> None:
    beyond = schema_format({"type": "string", "maxLength": 5000})  # over llama.cpp's 1,000
    request = Request.from_prompt("Say hi.", max_tokens=8, response_format=beyond)
    text, served = await ask(auto, request, streamed=False)
    assert (text, served.tier) == ("ok", "cloud")
    assert served.attempts == (Attempt(tier="device", error="Unsupported"),)
    # A negative bound is no schema at all: the caller's 400, not sent on to the cloud.
    malformed = schema_format({"type": "string", "minLength": -1})
    before = len(faulty_upstream.received)
    with pytest.raises(errors.BadRequest, match="minLength below 0") as caught:
        await auto.complete(Request.from_prompt("Say hi.", max_tokens=8, response_format=malformed))
    assert not isinstance(caught.value, errors.Unsupported)
    assert len(faulty_upstream.received) == before


async def test_a_forced_device_answers_what_it_cannot_serve_with_a_clear_400(
    auto: Router, faulty_upstream: FaultyUpstream
) -> None:
    before = len(faulty_upstream.received)
    forced = RequestContext(hints=Hints(force_tier="device"))
    with pytest.raises(errors.Unsupported, match="cannot honour a required tool call") as caught:
        await auto.complete(tool_required(), forced)
    assert isinstance(caught.value, errors.BadRequest)  # the gateway's 400
    assert caught.value.tier == "device"
    assert len(faulty_upstream.received) == before


# --- a chat template's refusal is the request's, not the tier's --------------------------


async def test_template_refusals_do_not_open_the_breaker(templated: LlamaCppTier) -> None:
    use_template(templated, NO_SYSTEM)
    alone = router(device=templated)
    for _ in range(alone.routing.breaker_failures + 1):
        with pytest.raises(errors.Unsupported) as caught:
            await alone.complete(with_system())
        assert str(caught.value) == (
            "tier 'device': the model's chat template refuses these messages "
            "(System role not supported)"
        )
    assert alone.breakers["device"].state is BreakerState.CLOSED
    assert templated.queue_depth == 0
    # The tier serves everyone else as before.
    assert (await alone.complete(short())).completion.text


async def test_a_template_refusal_under_auto_goes_to_the_next_tier(
    templated: LlamaCppTier, faulty_upstream: FaultyUpstream
) -> None:
    use_template(templated, NO_SYSTEM)
    async with cloud(faulty_upstream.base_url) as remote:
        both = router(device=templated, cloud=remote)
        assert both.route(with_system()).plan.tier == "device"
        for streamed in (False, True):
            text, served = await ask(both, with_system(), streamed=streamed)
            assert (text, served.tier) == ("ok", "cloud")
            assert served.attempts == (Attempt(tier="device", error="Unsupported"),)
        assert both.breakers["device"].state is BreakerState.CLOSED


async def test_a_template_refusal_never_quotes_the_messages(templated: LlamaCppTier) -> None:
    use_template(templated, QUOTES_THE_MESSAGE)
    with pytest.raises(errors.Unsupported) as caught:
        await templated.complete(with_system(SECRET))
    message = str(caught.value)
    assert "4471" not in message and "vault" not in message
    assert message.endswith("the model's chat template refuses these messages (ValueError)")


async def test_a_request_after_close_fails_at_once(gguf_path: Path) -> None:
    # The worker takes no new work once the tier is closed: the stream used to wait forever
    # for a job that had failed before it ran.
    tier = LlamaCppTier(info=device_info(), model=ModelSpec(path=gguf_path, calibrate=False))
    await tier.load()
    await tier.aclose()
    with pytest.raises(errors.TierUnavailable, match="RuntimeError"):
        await asyncio.wait_for(tier.complete(short()), timeout=10)
    assert tier._pending == 0


# Review 13: a template that is broken for every request is the tier's failure, not a refusal.
BROKEN = "{{ undefined_helper(messages) }}"


async def test_a_broken_template_is_the_tiers_failure(templated: LlamaCppTier) -> None:
    use_template(templated, BROKEN)
    alone = router(device=templated)
    for _ in range(alone.routing.breaker_failures):
        with pytest.raises(errors.TierError) as caught:
            await alone.complete(short())
        assert not isinstance(caught.value, errors.Unsupported)
    assert alone.breakers["device"].state is BreakerState.OPEN


async def test_a_request_queued_when_the_tier_closes_fails(gguf_path: Path) -> None:
    tier = LlamaCppTier(info=device_info(), model=ModelSpec(path=gguf_path, calibrate=False))
    await tier.load()
    running = asyncio.create_task(tier.complete(notes("rivers", 30)))
    while tier.queue_depth == 0:
        await asyncio.sleep(0.01)
    queued = asyncio.create_task(tier.complete(short()))
    await asyncio.sleep(0.05)
    await tier.aclose()  # cancels the queued job's future; the running one ends
    with pytest.raises(errors.TierUnavailable, match="closed"):
        await asyncio.wait_for(queued, timeout=30)
    with contextlib.suppress(errors.HybridRouteError):
        await asyncio.wait_for(running, timeout=60)
    assert tier._pending == 0
