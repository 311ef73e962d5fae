"""The official openai SDK (sync, async, streaming) against the real gateway process,
served by the embedded model (`device`) and by a real llama.cpp server (`private`)."""

from __future__ import annotations

import json

import openai
import pytest
from gateway_processes import KEYS

MESSAGES = [{"role": "user", "content": "Name one colour."}]


def client(url: str, key: str = KEYS["admin"]) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0, timeout=60)


def aclient(url: str, key: str = KEYS["admin"]) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=url + "/v1", api_key=key, max_retries=0, timeout=60)


@pytest.mark.parametrize("tier", ["device", "private"])
def test_sync_completion_reports_the_serving_tier(gateway: str, tier: str) -> None:
    with client(gateway) as sdk:
        raw = sdk.chat.completions.with_raw_response.create(
            model=tier, messages=MESSAGES, max_tokens=12, temperature=0, seed=7
        )
    completion = raw.parse()
    assert completion.choices[0].message.content
    assert completion.choices[0].finish_reason in ("stop", "length")
    assert completion.usage is not None and 0 < completion.usage.completion_tokens <= 12
    assert raw.headers["x-hybridroute-tier"] == tier
    assert raw.headers["x-hybridroute-plan"] == "direct"
    assert "forced_tier" in raw.headers["x-hybridroute-reason"]
    assert raw.headers["x-hybridroute-degraded"] == "false"
    assert float(raw.headers["x-hybridroute-cost-usd"]) == 0.0
    info = (completion.model_extra or {})["hybridroute"]
    assert info["tier"] == tier
    assert info["request_id"] == raw.headers["x-hybridroute-request-id"]
    assert completion.id == f"chatcmpl-{info['request_id']}"


@pytest.mark.parametrize("tier", ["device", "private"])
def test_a_replayed_refusal_in_the_history_is_accepted(gateway: str, tier: str) -> None:
    # The SDK's own types for a conversation whose assistant turn was a refusal.
    history = [
        {"role": "user", "content": "Tell me a secret."},
        {"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't."}]},
        {"role": "user", "content": "Name one colour."},
    ]
    with client(gateway) as sdk:
        completion = sdk.chat.completions.create(
            model=tier,
            messages=history,
            max_tokens=6,
            temperature=0,  # type: ignore[arg-type]
        )
    assert completion.choices[0].message.content


async def test_async_completion_with_routing_options(gateway: str) -> None:
    async with aclient(gateway) as sdk:
        raw = await sdk.chat.completions.with_raw_response.create(
            model="auto",
            messages=MESSAGES,
            max_tokens=8,
            extra_body={"hybridroute": {"mode": "privacy-first", "feature": "chat"}},
            extra_headers={"x-request-id": "req-async-1"},
        )
    completion = raw.parse()
    assert completion.choices[0].message.content
    assert raw.headers["x-hybridroute-request-id"] == "req-async-1"
    assert raw.headers["x-hybridroute-tier"] in ("device", "private")
    assert "objective" in raw.headers["x-hybridroute-reason"]


def test_sync_streaming_from_the_embedded_model(gateway: str) -> None:
    with client(gateway) as sdk:
        stream = sdk.chat.completions.create(
            model="device",
            messages=MESSAGES,
            max_tokens=10,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] in ("stop", "length") and all(f is None for f in finishes[:-1])
    assert chunks[0].choices[0].delta.role == "assistant"
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None and last.usage.completion_tokens > 0
    info = (chunks[-2].model_extra or {})["hybridroute"]
    assert info["tier"] == "device" and info["plan"] == "direct"


async def test_async_streaming_from_the_llama_cpp_server(gateway: str) -> None:
    async with aclient(gateway) as sdk:
        stream = await sdk.chat.completions.create(
            model="private", messages=MESSAGES, max_tokens=10, stream=True
        )
        text = ""
        usage_seen = False
        async for chunk in stream:
            usage_seen |= chunk.usage is not None
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
    assert text.strip()
    assert not usage_seen  # only with stream_options.include_usage


def test_models_lists_auto_and_the_tiers_the_key_may_use(gateway: str) -> None:
    with client(gateway) as sdk:
        assert [m.id for m in sdk.models.list()] == ["auto", "device", "private"]
    with client(gateway, KEYS["device-only"]) as sdk:
        assert [m.id for m in sdk.models.list()] == ["auto", "device"]


def test_route_explains_without_calling_a_model(gateway: str) -> None:
    with client(gateway) as sdk:
        decision = sdk.post(
            "/route",
            body={"model": "auto", "messages": [{"role": "user", "content": "SSN 460-89-9847"}]},
            cast_to=object,
        )
    assert isinstance(decision, dict)
    assert decision["privacy_action"] == "local_only"
    assert decision["tier"] in ("device", "private")
    assert decision["reasons"][0]["rule"] == "privacy_local_only"
    assert {e["tier"] for e in decision["estimates"]} == {"device", "private"}
    assert "460-89" not in str(decision)


def test_structured_output_is_honoured_by_the_embedded_model(gateway: str) -> None:
    schema = {
        "type": "object",
        "properties": {"ok": {"type": "boolean"}},
        "required": ["ok"],
        "additionalProperties": False,
    }
    with client(gateway) as sdk:
        answer = sdk.chat.completions.create(
            model="device",
            messages=[{"role": "user", "content": "Is water wet? Answer in JSON."}],
            max_tokens=16,
            temperature=0,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "verdict", "schema": schema},
            },
        )
    assert isinstance(json.loads(answer.choices[0].message.content or "")["ok"], bool)


@pytest.mark.parametrize(
    "field",
    [
        {"type": "string", "maxLength": 10_000},  # crashed the process (llama.cpp grammar)
        {"type": "string", "maxLength": 1_000_000_000},  # took 23.7 GB before that
        {"type": "string", "pattern": "^[a-z]{1,1500}$"},
        {"type": "array", "maxItems": 5000, "items": {"type": "string"}},
    ],
)
def test_schema_beyond_the_grammar_limits_is_a_400_and_the_gateway_lives(
    gateway: str, field: dict[str, object]
) -> None:
    schema = {
        "type": "object",
        "properties": {"card": {"enum": ["4111111111111111"]}, "note": field},
        "required": ["card", "note"],
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    with client(gateway) as sdk:
        with pytest.raises(openai.BadRequestError) as info:
            sdk.chat.completions.create(
                model="device",
                messages=MESSAGES,
                max_tokens=4,
                response_format=fmt,  # type: ignore[arg-type]
            )
        assert info.value.code == "tier_rejected_request"
        assert "more than this tier can follow" in info.value.message
        assert "4111111111111111" not in info.value.message
        # The same process answers the next request.
        assert sdk.chat.completions.create(model="device", messages=MESSAGES, max_tokens=2).choices


def test_required_tool_call_on_the_embedded_model_is_a_clear_400(gateway: str) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    with client(gateway) as sdk, pytest.raises(openai.BadRequestError) as info:
        sdk.chat.completions.create(
            model="device", messages=MESSAGES, tools=tools, tool_choice="required"
        )
    assert info.value.code == "tier_rejected_request"
    assert "cannot honour a required tool call" in info.value.message
