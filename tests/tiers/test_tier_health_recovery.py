"""A tier's DOWN health status expires: the next request after `health_recheck_s` probes it
again, so a tier that was down when the gateway started is used once it is back, without
anyone calling /readyz; and a server that is up but will not list its models is up.

Real servers on loopback: the upstream, and the gateway (uvicorn, lifespan warm-up and all)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from remote_tiers import remote
from starlette.applications import Starlette
from starlette.requests import Request as HTTPRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hybridroute import errors
from hybridroute import router as router_module
from hybridroute.config import RoutingSettings
from hybridroute.context import Hints, RequestContext
from hybridroute.router import Router
from hybridroute.server.app import create_app
from hybridroute.server.settings import ServerSettings
from hybridroute.tiers.base import Health, HealthStatus, LatencyProfile, Tier, TierInfo
from hybridroute.types import Completion, Delta, Location, Request, Timings, Usage
from tests.upstreams import FaultyUpstream, LoopbackServer, free_port, wait_http

RECHECK_S = 1.0  # the tests' `health_recheck_s` (the default is 10 s)
# Never in a log line or an error message: it is only ever in request bodies.
MARKER = "zebra-quartz-7731"
ANSWER = "pong"


def _answer() -> dict[str, object]:
    return {
        "id": "x",
        "object": "chat.completion",
        "model": "stub",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": ANSWER},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }


def _sse(answer: str) -> str:
    chunk = (
        '{"id":"x","object":"chat.completion.chunk","model":"stub","choices":'
        f'[{{"index":0,"delta":{{"content":"{answer}"}},"finish_reason":"stop"}}]}}'
    )
    return f"data: {chunk}\n\ndata: [DONE]\n\n"


class Upstream(LoopbackServer):
    """An OpenAI-compatible server in a background thread that counts what it is asked.

    `models`: the status of GET /v1/models; None leaves the route out (Starlette's own 404),
    405 makes it POST-only (Starlette's own 405). `chat`: the status of chat completions.
    GET /s/{code}/v1/models answers `code`, for the status table."""

    ready_path = "/s/200/v1/models"  # answers whatever `models` is

    def __init__(
        self,
        *,
        port: int | None = None,
        models: int | None = 200,
        chat: int = 200,
        models_delay_s: float = 0.0,
    ):
        self.models_status = models
        self.models_delay_s = models_delay_s
        self.chat_status = chat
        self.probes = 0
        self.chats = 0
        routes = [
            Route("/v1/chat/completions", self._chat, methods=["POST"]),
            Route("/s/{code:int}/v1/models", self._status),
        ]
        if models == 405:
            routes.append(Route("/v1/models", self._models, methods=["POST"]))
        elif models is not None:
            routes.append(Route("/v1/models", self._models))
        super().__init__(Starlette(routes=routes), port)

    async def _models(self, request: HTTPRequest) -> Response:
        self.probes += 1
        await asyncio.sleep(self.models_delay_s)
        if self.models_status == 200:
            return JSONResponse({"object": "list", "data": [{"id": "stub", "object": "model"}]})
        return _error(self.models_status or 500)

    async def _status(self, request: HTTPRequest) -> Response:
        return _error(request.path_params["code"])

    async def _chat(self, request: HTTPRequest) -> Response:
        self.chats += 1
        body = await request.json()
        if self.chat_status != 200:
            return _error(self.chat_status)
        if body.get("stream"):
            return Response(_sse(ANSWER), media_type="text/event-stream")
        return JSONResponse(_answer())


def _error(status: int) -> Response:
    return JSONResponse({"error": {"message": "no", "type": "server_error"}}, status_code=status)


@contextmanager
def gateway(
    base_url: str, *, recheck_s: float = RECHECK_S, settings: ServerSettings | None = None
) -> Iterator[str]:
    """The gateway over one remote tier `private` at `base_url`, warmed up (its start-up
    health check done) before this yields its URL. /readyz is never called."""
    router = Router(tiers={"private": remote(base_url, connect=1.0)}, health_recheck_s=recheck_s)
    port = free_port()
    config = uvicorn.Config(
        create_app(router, settings or ServerSettings()),
        host="127.0.0.1",
        port=port,
        log_level="error",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout_s=30)  # after the lifespan
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def chat(url: str, *, stream: bool = False, model: str = "private") -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": MARKER}], "stream": stream}
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=30)


def assert_down_for_now(reply: httpx.Response) -> None:
    """The existing refusal for a tier that is down: a 503 that says to retry later."""
    assert reply.status_code == 503, reply.text
    error = reply.json()["error"]
    assert error["code"] == "tier_unavailable"
    assert "down for now, retry later" in error["message"]
    assert "tier_unavailable" in error["message"]  # the policy's rule, no detail
    assert MARKER not in reply.text


def answered(reply: httpx.Response, *, stream: bool) -> bool:
    if reply.status_code != 200:
        return False
    if stream:
        return ANSWER in reply.text and "[DONE]" in reply.text
    return bool(reply.json()["choices"][0]["message"]["content"] == ANSWER)


# --- recovery --------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_a_tier_down_at_start_serves_once_back_without_readyz(
    stream: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hybridroute")
    port = free_port()  # nothing listens yet: the start-up health check finds it down
    with gateway(f"http://127.0.0.1:{port}/v1") as url:
        assert_down_for_now(chat(url, stream=stream))
        with Upstream(port=port) as upstream:
            back = time.monotonic()
            time.sleep(RECHECK_S)  # the DOWN status is older than the interval now
            reply = chat(url, stream=stream)  # this request re-probes, then is served
            elapsed = time.monotonic() - back
            auto = chat(url, stream=stream, model="auto")  # and `auto` picks it again
    assert answered(reply, stream=stream), reply.text
    assert elapsed < RECHECK_S + router_module.HEALTH_RECHECK_WAIT_S + 1
    assert answered(auto, stream=stream), auto.text
    assert upstream.probes == 1 and upstream.chats == 2
    assert MARKER not in caplog.text


def test_a_tier_that_stays_down_keeps_its_503_and_is_probed_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="hybridroute")
    recheck_s = 0.5
    with (
        Upstream(models=503, chat=200) as upstream,
        gateway(upstream.base_url, recheck_s=recheck_s) as url,
    ):
        assert upstream.probes == 1  # the warm-up's

        async def burst_for(seconds: float) -> list[httpx.Response]:
            """Four concurrent forced requests every 50 ms."""
            body = {"model": "private", "messages": [{"role": "user", "content": MARKER}]}
            replies: list[httpx.Response] = []
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    calls = [client.post("/v1/chat/completions", json=body) for _ in range(4)]
                    replies += await asyncio.gather(*calls)
                    await asyncio.sleep(0.05)
            return replies

        started = time.monotonic()
        replies = asyncio.run(burst_for(2.6))
        elapsed = time.monotonic() - started
        rechecks = upstream.probes - 1
        chats = upstream.chats
    assert len(replies) > 40
    for reply in replies:
        assert_down_for_now(reply)
    assert chats == 0  # the refusal comes from the status: no request reached the upstream
    # Re-probed (about every interval), never more than once per interval.
    assert 2 <= rechecks <= int(elapsed / recheck_s) + 1, (rechecks, elapsed)
    assert MARKER not in caplog.text


# --- a server without a model list is up ------------------------------------------------


@pytest.mark.parametrize("models", [None, 405], ids=["no-route-404", "post-only-405"])
def test_an_upstream_without_get_models_is_used(models: int | None) -> None:
    with Upstream(models=models) as upstream, gateway(upstream.base_url) as url:
        assert answered(chat(url), stream=False)
        assert answered(chat(url, model="auto", stream=True), stream=True)
        ready = httpx.get(f"{url}/readyz", timeout=10).json()
    assert ready["status"] == "ready"
    expected = "HTTP 404 on GET /models" if models is None else "HTTP 405 on GET /models"
    assert ready["tiers"]["private"] == {"health": "up", "detail": expected, "breaker": "closed"}
    assert upstream.chats == 2


@pytest.mark.parametrize(
    ("status", "expected", "detail"),
    [
        (200, HealthStatus.UP, ""),
        (401, HealthStatus.UP, "HTTP 401 on GET /models"),
        (403, HealthStatus.UP, "HTTP 403 on GET /models"),
        (404, HealthStatus.UP, "HTTP 404 on GET /models"),
        (405, HealthStatus.UP, "HTTP 405 on GET /models"),
        (400, HealthStatus.DOWN, "BadRequest"),
        (408, HealthStatus.DOWN, "ReadTimeout"),
        (429, HealthStatus.DOWN, "RateLimited"),
        (500, HealthStatus.DOWN, "TierUnavailable"),
        (503, HealthStatus.DOWN, "TierUnavailable"),
    ],
)
async def test_health_status_by_answer_to_get_models(
    status: int, expected: HealthStatus, detail: str
) -> None:
    """Refusing to list models (no such endpoint, or a key not allowed to list) is up; a
    server error, a timeout, rate limiting or any other 4xx is down. Named by status only."""
    with Upstream() as upstream:
        async with remote(f"http://127.0.0.1:{upstream.port}/s/{status}/v1") as tier:
            health = await tier.health()
    assert (health.status, health.detail) == (expected, detail)
    assert (health.latency_ms is not None) == (expected is HealthStatus.UP)


# --- the re-check itself (a fake tier: probe timing only) ----------------------------------


class SlowProbeTier(Tier):
    """Answers requests at once; its health probe takes `probe_s` and answers `status`."""

    def __init__(self, probe_s: float, status: HealthStatus) -> None:
        self.info = TierInfo(
            name="slow",
            location=Location.PRIVATE_CLOUD,
            trusted=True,
            model="m",
            latency=LatencyProfile(prefill_tps=1000, decode_tps=100),
        )
        self.probe_s = probe_s
        self.status = status
        self.probes = 0

    async def complete(self, request: Request) -> Completion:
        return Completion(
            tier=self.name,
            text=ANSWER,
            finish_reason="stop",
            usage=Usage(prompt_tokens=1, completion_tokens=1),
            timings=Timings(ttft_ms=None, total_ms=1.0, decode_tps=None),
        )

    async def stream(self, request: Request) -> AsyncIterator[Delta]:
        yield Delta(text=ANSWER)
        yield Delta(finish_reason="stop", usage=Usage(), timings=Timings(total_ms=1.0))

    async def health(self) -> Health:
        self.probes += 1
        await asyncio.sleep(self.probe_s)
        return Health(status=self.status)


async def test_a_slow_probe_holds_only_its_request_and_briefly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(router_module, "HEALTH_RECHECK_WAIT_S", 0.2)
    tier = SlowProbeTier(probe_s=0.6, status=HealthStatus.UP)
    forced = _forced("slow")
    async with Router(tiers={"slow": tier}, health_recheck_s=0.1) as router:
        router.signals.health["slow"] = HealthStatus.DOWN  # as a failed start-up check leaves it
        await asyncio.sleep(0.1)
        started = time.monotonic()
        results = await asyncio.gather(
            *(router.complete(Request.from_prompt("hi"), forced) for _ in range(5)),
            return_exceptions=True,
        )
        waited = time.monotonic() - started
        assert tier.probes == 1  # one probe for the five requests
        assert waited < 0.5  # the starter waited 0.2 s, not the probe's 0.6 s
        assert all(isinstance(r, Exception) for r in results)  # still DOWN while it runs
        await asyncio.sleep(0.6)  # the probe lands in the background: UP
        assert router.signals.health["slow"] is HealthStatus.UP
        routed = await router.complete(Request.from_prompt("hi"), forced)
        assert routed.tier == "slow" and tier.probes == 1  # an UP tier is not re-probed


async def test_closing_the_router_cancels_a_probe_in_flight() -> None:
    tier = SlowProbeTier(probe_s=30, status=HealthStatus.UP)
    router = Router(tiers={"slow": tier}, health_recheck_s=0.01)
    router.signals.health["slow"] = HealthStatus.DOWN
    await asyncio.sleep(0.02)
    with pytest.raises(Exception, match="down for now"):
        await router.complete(Request.from_prompt("hi"), _forced("slow"))
    started = time.monotonic()
    await router.aclose()
    assert time.monotonic() - started < 1 and tier.probes == 1
    assert router.signals.health["slow"] is HealthStatus.DOWN


def _forced(tier: str) -> RequestContext:
    return RequestContext(hints=Hints(force_tier=tier))  # the library's caller may force


async def test_an_open_breaker_says_when_to_retry(faulty_upstream: FaultyUpstream) -> None:
    # Review 19: once a tier's failures opened its breaker, the 503s carried no Retry-After.
    routing = RoutingSettings(breaker_failures=1, breaker_reset_s=30)
    tier = remote(faulty_upstream.base_url, model="status-500")
    async with Router(tiers={"private": tier}, routing=routing) as router:
        with pytest.raises(errors.TierUnavailable, match="HTTP 500"):
            await router.complete(Request.from_prompt("hi"), _forced("private"))
        with pytest.raises(errors.TierUnavailable, match="down for now") as caught:
            await router.complete(Request.from_prompt("hi"), _forced("private"))
    assert caught.value.retry_after is not None and 25 < caught.value.retry_after <= 30


# --- /readyz shares its probes -----------------------------------------------------------


def test_concurrent_readyz_calls_share_one_probe_of_the_upstream() -> None:
    with Upstream(models_delay_s=0.5) as upstream:
        with gateway(upstream.base_url, settings=ServerSettings(readyz_cache_s=0)) as url:
            before = upstream.probes  # the start-up health check
            with httpx.Client(timeout=10) as client:
                threads = [
                    threading.Thread(target=client.get, args=(f"{url}/readyz",)) for _ in range(12)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            # Twelve callers within one 0.5 s probe: one or two rounds, never twelve.
            assert 1 <= upstream.probes - before <= 2
            # With no reuse configured, the next call after a round probes again.
            ready = httpx.get(f"{url}/readyz", timeout=10).json()
            assert ready["status"] == "ready"
            assert upstream.probes - before <= 3


def test_readyz_reuses_a_recent_probe_then_probes_again() -> None:
    with Upstream() as upstream:
        with gateway(upstream.base_url, settings=ServerSettings(readyz_cache_s=1.5)) as url:
            first = httpx.get(f"{url}/readyz", timeout=10)
            probes = upstream.probes
            for _ in range(5):
                again = httpx.get(f"{url}/readyz", timeout=10)
                assert again.json() == first.json()
            assert upstream.probes == probes  # all five answered from the last round
            time.sleep(1.6)
            assert httpx.get(f"{url}/readyz", timeout=10).json()["status"] == "ready"
            assert upstream.probes == probes + 1
