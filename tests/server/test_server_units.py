"""In-process units of the gateway: the error table, keys and budgets, admission, framing."""

from __future__ import annotations

import inspect
import json

import pytest
from fastapi.exceptions import RequestValidationError

from hybridroute import errors
from hybridroute.config import load_config
from hybridroute.context import Mode
from hybridroute.errors import ConfigError
from hybridroute.server.auth import OPEN_CALLER, BudgetLedger, Caller, KeyTable, hash_key
from hybridroute.server.errors import (
    ERROR_TABLE,
    BudgetExceeded,
    InvalidRequest,
    ModelNotFound,
    PermissionDenied,
    ShuttingDown,
    Unauthenticated,
    error_body,
    spec_for,
)
from hybridroute.server.intake import admit, resolve_model
from hybridroute.server.schemas import ChatCompletionRequest
from hybridroute.server.settings import ApiKeySettings, BudgetSettings, ServerSettings
from hybridroute.server.wire import ChunkWriter, to_request
from hybridroute.types import Delta, Usage

LIBRARY_ERRORS = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, errors.HybridRouteError)
]


@pytest.mark.parametrize("cls", LIBRARY_ERRORS, ids=lambda c: c.__name__)
def test_every_library_error_has_a_status(cls: type[errors.HybridRouteError]) -> None:
    status = spec_for(cls.__new__(cls)).status
    assert status is not None and 400 <= status < 600


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (errors.ConnectFailed("t", "x"), 503, "tier_unavailable"),
        (errors.CircuitOpen("t", "x"), 503, "tier_unavailable"),
        (errors.DeadlineExceeded("t", "x"), 504, "tier_timeout"),
        (errors.RateLimited("t", "x", retry_after=2.4), 429, "tier_rate_limited"),
        (errors.BadRequest("t", "x"), 400, "tier_rejected_request"),
        (errors.NoEligibleTier("no tier"), 422, "no_eligible_tier"),
        (errors.SensitiveDataBlocked("blocked"), 403, "sensitive_data_blocked"),
        (BudgetExceeded("spent", retry_after=10), 429, "budget_exceeded"),
        (ShuttingDown("server shutting down"), 503, "server_shutting_down"),
        (ValueError("secret prompt text"), 500, "internal_error"),
    ],
)
def test_error_table_rows(exc: Exception, status: int, code: str) -> None:
    got, body, headers = error_body(exc)
    assert (got, body["error"]["code"]) == (status, code)
    if getattr(exc, "retry_after", None):
        assert int(headers["retry-after"]) == max(1, round(exc.retry_after))  # type: ignore[attr-defined]


def test_unexpected_exceptions_hide_their_message() -> None:
    assert error_body(ValueError("secret prompt text"))[1]["error"]["message"] == (
        "internal server error"
    )


def test_validation_message_names_the_field_not_the_value() -> None:
    exc = RequestValidationError(
        [{"type": "int_parsing", "loc": ("body", "max_tokens"), "msg": "bad", "input": "SECRET"}]
    )
    status, body, _ = error_body(exc)
    assert status == 400 and body["error"]["param"] == "max_tokens"
    assert "SECRET" not in json.dumps(body)


def test_the_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        ERROR_TABLE[KeyError] = ERROR_TABLE[Exception]  # type: ignore[index]


def keys(**extra: object) -> KeyTable:
    key = ApiKeySettings(name="app", sha256=hash_key("sk-1").upper(), **extra)  # type: ignore[arg-type]
    return KeyTable([key], tier_names=["device", "cloud"])


def test_keys_are_matched_by_digest() -> None:
    table = keys(tiers=["device"], modes=["balanced"])
    caller = table.authenticate("Bearer sk-1")
    assert caller.principal.name == "app"
    assert caller.principal.tiers == frozenset({"device"})
    assert caller.principal.modes == frozenset({Mode.BALANCED})
    assert table.authenticate(None, "sk-1") == caller
    for header in (None, "", "Bearer", "Bearer sk-2", "Token sk-1"):
        with pytest.raises(Unauthenticated):
            table.authenticate(header)


def test_no_keys_means_an_open_gateway() -> None:
    assert KeyTable([], tier_names=["device"]).authenticate(None) is OPEN_CALLER


def test_a_key_naming_an_unknown_tier_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"server.api_keys.app.tiers: unknown tier\(s\): gpu"):
        keys(tiers=["gpu"])


def test_duplicate_keys_are_rejected() -> None:
    key = {"name": "a", "sha256": hash_key("x")}
    with pytest.raises(ValueError, match="duplicate api key name"):
        ServerSettings.model_validate({"api_keys": [key, key]})


def test_server_section_loads_from_yaml(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "c.yaml"
    path.write_text(
        "tiers: [{kind: llama_cpp, name: device}]\n"
        f"server: {{max_body_bytes: 4096, api_keys: [{{name: a, sha256: {hash_key('k')}}}]}}\n"
    )
    server = load_config(path).server
    assert server.max_body_bytes == 4096 and server.api_keys[0].name == "a"
    path.write_text("tiers: [{kind: llama_cpp, name: device}]\nserver: {api_keys: 3}\n")
    with pytest.raises(ConfigError, match=r"server\.api_keys"):
        load_config(path)


def test_budget_windows_reset_after_the_period() -> None:
    now = [100.0]
    ledger = BudgetLedger(clock=lambda: now[0])
    caller = keys(budget=BudgetSettings(requests=2, tokens=50, period_s=60)).authenticate(
        "Bearer sk-1"
    )
    ledger.admit(caller)
    ledger.charge(caller, 20)
    ledger.admit(caller)
    with pytest.raises(BudgetExceeded, match="request budget of 2 per 60s") as info:
        ledger.admit(caller)
    assert info.value.retry_after == 60
    now[0] = 130.0
    with pytest.raises(BudgetExceeded):
        ledger.admit(caller)
    now[0] = 161.0
    ledger.admit(caller)
    ledger.charge(caller, 50)
    with pytest.raises(BudgetExceeded, match="token budget") as info:
        ledger.admit(caller)
    assert info.value.retry_after == pytest.approx(59.0)


def test_tokens_held_at_admission_stop_concurrent_requests_overshooting() -> None:
    ledger = BudgetLedger(clock=lambda: 0.0)
    caller = keys(budget=BudgetSettings(tokens=100, period_s=60)).authenticate("Bearer sk-1")
    held = ledger.admit(caller, reserve=100)  # one request with max_tokens 100 in flight
    assert held == 100
    with pytest.raises(BudgetExceeded, match="token budget"):  # the review: 8 of these passed
        ledger.admit(caller, reserve=100)
    ledger.charge(caller, 30, held=held)  # it used 30: 70 left
    assert ledger.admit(caller, reserve=50) == 50


def body(**fields: object) -> ChatCompletionRequest:
    return ChatCompletionRequest.model_validate(
        {"messages": [{"role": "user", "content": "hi"}], **fields}
    )


def test_admit_builds_request_and_context() -> None:
    caller = keys(may_force_tier=True, may_override_sensitivity=True).authenticate("Bearer sk-1")
    intake = admit(
        body(
            model="cloud",
            max_completion_tokens=9,
            stop="END",
            hybridroute={"mode": "cost-first", "sensitivity": "mask"},
        ),
        {"x-hybridroute-budget-ms": "250", "x-hybridroute-mode": "balanced", "x-request-id": "r1"},
        caller,
        tiers=["device", "cloud"],
        aliases={},
    )
    ctx = intake.context
    assert intake.forced_tier == "cloud" and ctx.hints.force_tier == "cloud"
    assert ctx.mode is Mode.COST_FIRST  # the body wins over the header
    assert ctx.budget_ms == 250 and ctx.hints.sensitivity == "mask" and ctx.request_id == "r1"
    assert intake.request.max_tokens == 9 and intake.request.stop == ("END",)


@pytest.mark.parametrize(
    ("settings", "fields", "error"),
    [
        ({"tiers": ["device"], "may_force_tier": True}, {"model": "cloud"}, PermissionDenied),
        ({}, {"model": "device"}, PermissionDenied),
        ({"modes": ["balanced"]}, {"hybridroute": {"mode": "cost-first"}}, PermissionDenied),
        ({}, {"hybridroute": {"sensitivity": "allow"}}, PermissionDenied),
        ({}, {"model": "gpt-4o"}, ModelNotFound),
        (
            {},
            {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
            InvalidRequest,
        ),
    ],
)
def test_admit_refuses(settings: dict[str, object], fields: dict[str, object], error: type) -> None:
    caller = keys(**settings).authenticate("Bearer sk-1")
    with pytest.raises(error):
        admit(body(**fields), {}, caller, tiers=["device", "cloud"], aliases={})


def test_aliases_and_request_ids() -> None:
    aliases = {"gpt-4o-mini": "auto", "fast": "device"}
    assert resolve_model("gpt-4o-mini", tiers=["device"], aliases=aliases) is None
    assert resolve_model("fast", tiers=["device"], aliases=aliases) == "device"
    caller = Caller(principal=OPEN_CALLER.principal)
    ctx = admit(body(), {"x-request-id": "bad id!"}, caller, tiers=["device"], aliases={}).context
    assert len(ctx.request_id) == 32
    # A well-formed id that is a value (it would go into headers and records) is replaced too.
    for value in ("536-22-1234", "4111111111111111"):
        headers = {"x-request-id": value}
        ctx = admit(body(), headers, caller, tiers=["device"], aliases={}).context
        assert ctx.request_id != value and len(ctx.request_id) == 32
    with pytest.raises(InvalidRequest, match="feature"):
        admit(
            body(hybridroute={"feature": "536-22-1234"}), {}, caller, tiers=["device"], aliases={}
        )


CALL = {"name": "f", "arguments": "{}"}


def test_wire_request_keeps_tools_and_text_parts() -> None:
    request = to_request(
        body(
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                },
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": "{}"}}],
                },
                {"role": "tool", "content": "42", "tool_call_id": "c1"},
            ],
            tools=[{"type": "function", "function": {"name": "f"}}],
            tool_choice={"type": "function", "function": {"name": "f"}},
            response_format={"type": "json_object"},
        )
    )
    assert request.messages[0].content == "a\nb"  # one part per line, as vLLM joins them
    assert request.messages[1].extra["tool_calls"][0]["function"]["name"] == "f"
    assert request.messages[2].extra == {"tool_call_id": "c1"}
    assert request.tools == ({"type": "function", "function": {"name": "f"}},)
    assert request.tool_choice == {"type": "function", "function": {"name": "f"}}
    assert request.response_format == {"type": "json_object"}


def test_wire_request_takes_replayed_refusals() -> None:
    refused = "I can't help with that."
    request = to_request(
        body(
            messages=[
                {"role": "user", "content": "q1"},
                {"role": "assistant", "content": [{"type": "refusal", "refusal": refused}]},
                {"role": "user", "content": "q2"},
                {"role": "assistant", "content": None, "refusal": refused},
                {"role": "user", "content": "q3"},
            ]
        )
    )
    assert [m.content for m in request.messages] == ["q1", refused, "q2", refused, "q3"]
    # Only an assistant turn can hold one, and it must carry its text.
    for message in (
        {"role": "user", "content": [{"type": "refusal", "refusal": refused}]},
        {"role": "assistant", "content": [{"type": "refusal"}]},
    ):
        with pytest.raises(InvalidRequest, match="only text parts"):
            to_request(body(messages=[message]))


def test_wire_request_takes_a_history_as_openai_returns_it() -> None:
    # Review 12, L9: assistant turns replayed with `function_call`, `audio` or `annotations`
    # (even null or empty) were 400. The legacy call is forwarded like `tool_calls` (so it is
    # scanned and masked); the audio reference and citations are outputs, dropped.
    call = {"name": "lookup", "arguments": '{"ssn": "536-22-1234"}'}
    request = to_request(
        body(
            messages=[
                {"role": "user", "content": "q1"},
                {"role": "assistant", "content": None, "function_call": call, "audio": None},
                {"role": "function", "name": "lookup", "content": "found"},
                {"role": "assistant", "content": "a", "annotations": [], "function_call": None},
                {"role": "assistant", "content": "b", "audio": {"id": "audio_1"}},
            ]
        )
    )
    assert request.messages[1].extra == {"function_call": call}
    assert request.messages[3].extra == {} and request.messages[4].extra == {}
    assert any("536-22-1234" in s for s in request.strings())  # the decision sees them


def events(raw: bytes) -> list[dict[str, object]]:
    return [
        json.loads(line[6:]) for line in raw.decode().split("\n\n") if line.startswith("data: {")
    ]


def test_chunk_writer_frames_openai_chunks() -> None:
    writer = ChunkWriter(request_id="r", model="m", created=1)
    first = events(writer.delta(Delta(text="He")))
    assert first[0]["choices"] == [
        {"index": 0, "delta": {"content": "He", "role": "assistant"}, "finish_reason": None}
    ]
    assert writer.delta(Delta(text="")) == b""
    final = Delta(
        finish_reason="tool_calls",
        usage=Usage(prompt_tokens=3, completion_tokens=2),
        tool_calls=({"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}},),
    )
    tail = events(writer.finish(final, info={"tier": "t"}))
    assert tail[0]["choices"][0]["delta"]["tool_calls"][0]["index"] == 0  # type: ignore[index]
    assert tail[1]["choices"][0]["finish_reason"] == "tool_calls"  # type: ignore[index]
    assert tail[1]["hybridroute"] == {"tier": "t"}
    usage = events(writer.usage(Usage(prompt_tokens=3, completion_tokens=2)))[0]
    assert usage["choices"] == [] and usage["usage"]["total_tokens"] == 5  # type: ignore[index]


@pytest.mark.parametrize(
    ("retry_after", "header"),
    [(7.0, "7"), (0.2, "1"), (1e300, "86400"), (float("nan"), None), (float("inf"), None)],
)
def test_retry_after_header_is_bounded_and_never_breaks_the_reply(
    retry_after: float, header: str | None
) -> None:
    from hybridroute import errors as hr_errors
    from hybridroute.server.errors import error_body

    status, _, headers = error_body(hr_errors.RateLimited("t", "429", retry_after=retry_after))
    assert status == 429 and headers.get("retry-after") == header
