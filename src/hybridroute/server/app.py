"""`create_app(router, settings)`: the OpenAI-compatible gateway as a FastAPI app.

State lives on `app.state` (router, keys, budgets, metrics); nothing is module-global. The
lifespan warms the embedded model and the routing signals before the server reports ready,
and closes the router after uvicorn has let in-flight requests finish.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from fastapi import FastAPI
from starlette.requests import Request as HTTPRequest
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from hybridroute.config import HybridRouteConfig, load_config
from hybridroute.context import RequestContext
from hybridroute.errors import BadResponse, HybridRouteError
from hybridroute.executor.breaker import BreakerState
from hybridroute.router import RoutedStream, Router
from hybridroute.server import errors
from hybridroute.server.auth import BudgetLedger, Caller, KeyTable, Reservation
from hybridroute.server.intake import AUTO, Intake, admit
from hybridroute.server.metrics import GatewayMetrics
from hybridroute.server.middleware import BodyLimit, RequireKey, ShutdownReply
from hybridroute.server.readiness import SharedProbe
from hybridroute.server.schemas import (
    ChatCompletion,
    ChatCompletionRequest,
    ErrorBody,
    ModelList,
    RouteDecision,
)
from hybridroute.server.settings import ServerSettings
from hybridroute.server.wire import (
    DONE_EVENT,
    ChunkWriter,
    completion_body,
    error_event,
    routing_headers,
    routing_info,
)
from hybridroute.tiers.base import HealthStatus
from hybridroute.tiers.llamacpp import LlamaCppTier
from hybridroute.types import Request

log = logging.getLogger("hybridroute.server")
T = TypeVar("T")


def create_app(
    router: Router,
    settings: ServerSettings | None = None,
    *,
    metrics: GatewayMetrics | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The gateway app; it owns `router` and closes it at shutdown.

    Pass the `metrics` whose `record` sink the router was built with, to export routing
    metrics (`app_from_config` does this wiring).
    """
    settings = settings or ServerSettings()
    keys = KeyTable(settings.api_keys, tier_names=router.tiers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.warm_up:
            await warm_up(router)
        # Models loaded at start-up live for the whole process: keep them out of the cyclic
        # collector's scans, which otherwise show up as p99 latency spikes.
        gc.collect()
        gc.freeze()
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            await router.aclose()

    app = FastAPI(
        title="hybridroute gateway",
        version="0.1.0",
        summary="OpenAI-compatible chat completions routed across device and cloud tiers.",
        lifespan=lifespan,
        responses={"default": {"model": ErrorBody, "description": "OpenAI-format error"}},
        # No 307 to the slash-less path: its Location was built from the caller's Host header.
        redirect_slashes=False,
    )
    app.state.router = router
    app.state.settings = settings
    app.state.keys = keys
    app.state.ledger = BudgetLedger()
    app.state.metrics = metrics or GatewayMetrics()
    app.state.clock = clock
    app.state.ready = False
    app.state.readiness = SharedProbe(router.health, settings.readyz_cache_s)
    errors.install(app)
    # Added last runs first: authentication (headers only) before any body is read.
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, timeout_s=settings.body_timeout_s
    )
    app.add_middleware(RequireKey, keys=keys)
    app.add_middleware(ShutdownReply)
    if keys.open:
        log.warning("no server.api_keys configured: every caller has full access")
    _routes(app)
    return app


def _routes(app: FastAPI) -> None:
    app.post(
        "/v1/chat/completions",
        response_model=ChatCompletion,
        responses={200: {"content": {"text/event-stream": {}}}},
    )(chat_completions)
    # GET endpoints answer HEAD too: some load balancers check health with it.
    read = ["GET", "HEAD"]
    app.api_route("/v1/models", methods=read, response_model=ModelList)(list_models)
    app.api_route("/v1/models/{model_id:path}", methods=read)(retrieve_model)
    app.post("/v1/route", response_model=RouteDecision)(route)
    app.api_route("/healthz", methods=read)(healthz)
    app.api_route("/readyz", methods=read)(readyz)
    app.api_route("/metrics", methods=read, response_class=Response)(metrics)


async def chat_completions(body: ChatCompletionRequest, request: HTTPRequest) -> Response:
    """Answer a chat request through the router (`stream: true` for server-sent events)."""
    state = request.app.state
    caller = _caller(request)
    intake = _admit(body, request, caller)
    # Held from here until settled with what the request used: on every way out, once.
    hold = state.ledger.reserve(caller, body.max_completion_tokens or body.max_tokens)
    try:
        if body.stream:
            return await _stream(body, request, intake, hold)
        return await _complete(request, intake, hold)
    except BaseException:  # failed (an upstream error, 403, 422...) or cancelled: nothing used
        hold.settle(0)  # does nothing once the answer has been charged
        raise


async def _complete(request: HTTPRequest, intake: Intake, hold: Reservation) -> Response:
    state = request.app.state
    router: Router = state.router
    created = int(state.clock())
    routed = await _unless_client_leaves(request, router.complete(intake.request, intake.context))
    if routed is None:
        hold.settle(0)
        return Response(status_code=CLIENT_CLOSED)
    hold.settle(routed.completion.usage.total_tokens)
    model = routed.completion.model or router.tiers[routed.tier].info.model
    payload = completion_body(routed, model=model, created=created)
    return Response(
        content=json.dumps(payload).encode(),
        media_type="application/json",
        headers=routing_headers(
            decision=routed.decision,
            tier=routed.tier,
            degraded=routed.degraded,
            request_id=routed.request_id,
            cost=routed.cost_usd,
        ),
    )


async def _stream(
    body: ChatCompletionRequest, request: HTTPRequest, intake: Intake, hold: Reservation
) -> Response:
    """The event stream; once returned, the response settles `hold` (see `_ClosingStream`)."""
    state = request.app.state
    router: Router = state.router
    created = int(state.clock())
    stream = await _unless_client_leaves(request, router.stream(intake.request, intake.context))
    if stream is None:
        hold.settle(0)
        return Response(status_code=CLIENT_CLOSED)
    try:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        events = _events(stream, state, hold, created=created, include_usage=include_usage)
        return _ClosingStream(
            stream,
            hold,
            events,
            media_type="text/event-stream",
            headers={
                **routing_headers(
                    decision=stream.decision,
                    tier=stream.tier,
                    degraded=stream.served.degraded,
                    request_id=stream.request_id,
                    cost=None,
                ),
                "cache-control": "no-cache",
            },
        )
    except BaseException:
        await stream.aclose()
        raise


async def _unless_client_leaves(request: HTTPRequest, work: Awaitable[T]) -> T | None:
    """`work`, or None once the client has disconnected: then it is cancelled, since nobody
    would read the answer while the device worker or an upstream went on producing it (the
    review measured the next caller waiting 36 s behind an abandoned request)."""
    task = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # this request is cancelled itself (the shutdown timeout): so is `work`
        await _cancel(task)
        raise
    finally:
        gone.cancel()
    if task.done():
        return task.result()
    await _cancel(task)
    log.info("client disconnected before the answer: work cancelled")
    return None


async def _cancel(task: asyncio.Future[Any]) -> None:
    """Cancel `task` and wait until the tier has released what it holds (the device queue, a
    connection); its outcome is read, so none is logged as never retrieved."""
    task.cancel()
    await asyncio.wait({task})
    if not task.cancelled():
        task.exception()


async def _disconnected(request: HTTPRequest) -> None:
    # The body is read by now: the next message is the disconnect, whenever it comes.
    while (await request.receive())["type"] != "http.disconnect":
        pass


# nginx's "client closed request": logged and counted, never seen by the client.
CLIENT_CLOSED = 499


class _ClosingStream(StreamingResponse):
    """Server-sent events that always release the routed stream and settle the token hold
    once the response is over, even when the client left before the body was iterated (then
    nothing else would: the events generator never started, so none of its handlers ran)."""

    def __init__(
        self,
        routed: RoutedStream,
        hold: Reservation,
        events: AsyncGenerator[bytes, None],
        **kwargs: Any,
    ) -> None:
        super().__init__(events, **kwargs)
        self._routed = routed
        self._hold = hold
        self._events = events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            try:
                # Left suspended at a `yield` (the send was cancelled): it charges what it sent.
                await self._events.aclose()
            finally:
                self._hold.settle(0)  # never started: nothing sent, the whole hold goes back
                await self._routed.aclose()


async def _events(
    stream: RoutedStream,
    state: Any,
    hold: Reservation,
    *,
    created: int,
    include_usage: bool,
) -> AsyncGenerator[bytes, None]:
    router: Router = state.router
    writer = ChunkWriter(
        request_id=stream.request_id, model=router.tiers[stream.tier].info.model, created=created
    )
    final = None
    sent = 0  # deltas sent, about one token each: charged if the stream never finishes
    try:
        async for delta in stream:
            if delta.finish_reason is not None:
                final = delta  # sent after the loop, once the cost is known
                continue
            sent += 1
            yield writer.delta(delta)
    except Exception as exc:  # the status line is gone: report in-band, as OpenAI does
        hold.settle(sent)
        yield _error_event(state, exc)
        return
    except BaseException:  # the client left (GeneratorExit) or the server stops
        hold.settle(sent)
        raise
    if final is None:
        hold.settle(sent)
        yield _error_event(state, BadResponse(stream.tier, "stream ended early"))
        return
    usage = final.usage
    hold.settle(usage.total_tokens if usage else sent)
    info = routing_info(
        decision=stream.decision,
        tier=stream.tier,
        degraded=stream.served.degraded,
        masked=stream.served.masked,
        cost=stream.cost_usd,
        request_id=stream.request_id,
    )
    yield writer.finish(final, info=info)
    if include_usage and usage is not None:
        yield writer.usage(usage)
    yield DONE_EVENT


def _error_event(state: Any, exc: BaseException) -> bytes:
    """An in-band stream error, counted like the errors sent with a status line."""
    errors.count(state.metrics, exc)
    return error_event(errors.error_body(exc)[1])


async def list_models(request: HTTPRequest) -> dict[str, Any]:
    """`auto` plus every tier this API key may use."""
    router: Router = request.app.state.router
    principal = _caller(request).principal
    created = int(request.app.state.clock())
    data = [{"id": AUTO, "object": "model", "created": created, "owned_by": "hybridroute"}]
    data += [
        {"id": name, "object": "model", "created": created, "owned_by": str(tier.info.location)}
        for name, tier in router.tiers.items()
        if principal.may_use(name)
    ]
    return {"object": "list", "data": data}


async def retrieve_model(model_id: str, request: HTTPRequest) -> dict[str, Any]:
    """One entry of `/v1/models` (`client.models.retrieve("auto")`)."""
    for model in (await list_models(request))["data"]:
        if model["id"] == model_id:
            return dict(model)
    # The unknown name is not echoed, as for `model` in a chat request.
    raise errors.ModelNotFound("the requested model does not exist", param="model")


async def route(body: ChatCompletionRequest, request: HTTPRequest) -> dict[str, Any]:
    """The routing decision and its reasons for a chat request, without calling a model."""
    intake = _admit(body, request, _caller(request))
    router: Router = request.app.state.router
    decision = await asyncio.to_thread(router.route, intake.request, intake.context)
    return {"request_id": intake.context.request_id, **decision.as_dict()}


async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


async def readyz(request: HTTPRequest) -> Response:
    """Readiness: warmed up, and at least one tier is neither down nor behind an open breaker."""
    state = request.app.state
    router: Router = state.router
    if not state.ready:
        return _json({"status": "starting", "tiers": {}}, status=503)
    health = await state.readiness.health()
    tiers = {
        name: {
            "health": str(h.status),
            "detail": h.detail,
            "breaker": str(router.breakers[name].state),
        }
        for name, h in health.items()
    }
    usable = [
        name
        for name, h in health.items()
        if h.status is not HealthStatus.DOWN
        and router.breakers[name].state is not BreakerState.OPEN
    ]
    status = "ready" if usable else "unavailable"
    return _json({"status": status, "tiers": tiers}, status=200 if usable else 503)


async def metrics(request: HTTPRequest) -> Response:
    """Prometheus exposition of the gateway's counters."""
    registry: GatewayMetrics = request.app.state.metrics
    return Response(content=registry.render(), media_type=registry.content_type)


async def warm_up(router: Router) -> None:
    """Load embedded models and the routing signals' models so no request pays for it."""
    started = time.perf_counter()
    for name, tier in router.tiers.items():
        if isinstance(tier, LlamaCppTier):
            try:
                await tier.load()
            except HybridRouteError as exc:
                # Serve the other tiers; this one fails per request and its breaker opens.
                log.warning("tier %s failed to load: %s", name, exc)
    await asyncio.to_thread(router.route, Request.from_prompt(WARM_UP_PROMPT), RequestContext())
    await router.health()
    log.info("warm-up done in %.0f ms", (time.perf_counter() - started) * 1000)


def app_from_config(config: HybridRouteConfig) -> FastAPI:
    """Router, metrics sink and app from one validated config."""
    metrics = GatewayMetrics()
    router = Router.from_config(config, sinks=[metrics.record])
    return create_app(router, config.server, metrics=metrics)


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory hybridroute.server.app:app_from_env`."""
    return app_from_config(load_config(os.environ.get("HYBRIDROUTE_CONFIG")))


def _caller(request: HTTPRequest) -> Caller:
    caller = request.scope.get("state", {}).get("caller")
    if isinstance(caller, Caller):
        return caller
    # Not seen by RequireKey: open gateways get the owner, others no one.
    keys: KeyTable = request.app.state.keys
    return keys.authenticate(None)


def _admit(body: ChatCompletionRequest, request: HTTPRequest, caller: Caller) -> Intake:
    state = request.app.state
    return admit(
        body,
        request.headers,
        caller,
        tiers=state.router.tiers,
        aliases=state.settings.model_aliases,
    )


def _json(payload: dict[str, Any], *, status: int = 200) -> Response:
    return Response(
        content=json.dumps(payload).encode(), status_code=status, media_type="application/json"
    )


WARM_UP_PROMPT = "Warm up the routing signals: write a short greeting for Jane in Paris."
