"""A prompt too long for the embedded model's window, under `model: "auto"`, goes on to the
next tier of the plan instead of coming back as a 400; only the plan's tiers are tried.

A gateway of its own: the embedded tier with a 512-token window, and an untrusted `cloud` tier
on the loopback upstream of tests/upstreams.py, which records what reaches it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from gateway_processes import Service, running_gateway

from tests.upstreams import FaultyUpstream

# 900 SmolLM2 tokens (it reads one digit a token), though the router's estimate, four ASCII
# characters a token, says 226: planned on the device. (Emoji served here until the estimate
# learnt that each is several tokens.)
DIGITS = "0123456789" * 90
PRIVACY_FIRST = {"hybridroute": {"mode": "privacy-first"}}


@pytest.fixture(scope="module")
def gateway(
    faulty_upstream: FaultyUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    config = (
        "tiers:\n"
        "  - {kind: llama_cpp, name: device, n_ctx: 512}\n"
        "  - {kind: openai, name: cloud, location: public_cloud, trusted: false,\n"
        f'     base_url: "{faulty_upstream.base_url}", model: echo,\n'
        "     latency: {prefill_tps: 5000, decode_tps: 80, rtt_ms: 50}}\n"
        "privacy: {ner: false}\n"
    )
    with running_gateway(tmp_path_factory.mktemp("fallback"), "fallback", config) as service:
        yield service


def sdk(gateway: Service) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key="none", max_retries=0, timeout=120)


def route(gateway: Service, prompt: str) -> dict[str, Any]:
    body = {"model": "auto", "messages": [{"role": "user", "content": prompt}], **PRIVACY_FIRST}
    decision: dict[str, Any] = httpx.post(gateway.url + "/v1/route", json=body, timeout=30).json()
    return decision


def test_an_overflow_of_the_planned_tier_is_served_by_its_fallback(
    gateway: Service, faulty_upstream: FaultyUpstream
) -> None:
    decision = route(gateway, DIGITS)
    assert (decision["tier"], decision["fallbacks"]) == ("device", ["cloud"])
    before = len(faulty_upstream.received)
    with sdk(gateway) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="auto",
            messages=[{"role": "user", "content": DIGITS}],
            max_tokens=8,
            extra_body=PRIVACY_FIRST,
        )
    assert raw.parse().choices[0].message.content == f"echo: {DIGITS}"
    assert raw.headers["x-hybridroute-tier"] == "cloud"
    assert raw.headers["x-hybridroute-degraded"] == "true"
    assert len(faulty_upstream.received) == before + 1


def test_a_stream_falls_back_the_same_way(gateway: Service) -> None:
    with sdk(gateway) as client:
        with client.chat.completions.with_streaming_response.create(
            model="auto",
            messages=[{"role": "user", "content": DIGITS}],
            max_tokens=8,
            stream=True,
            extra_body=PRIVACY_FIRST,
        ) as response:
            assert response.headers["x-hybridroute-tier"] == "cloud"
            text = "".join(
                chunk.choices[0].delta.content or "" for chunk in response.parse() if chunk.choices
            )
    assert text == f"echo: {DIGITS}"


def test_a_forced_tier_still_answers_its_overflow(
    gateway: Service, faulty_upstream: FaultyUpstream
) -> None:
    before = len(faulty_upstream.received)
    with sdk(gateway) as client, pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="device", messages=[{"role": "user", "content": DIGITS}], max_tokens=8
        )
    assert caught.value.code == "tier_rejected_request"
    assert "the context window is 512" in caught.value.message
    assert len(faulty_upstream.received) == before


def test_local_only_data_never_falls_back_to_an_untrusted_tier(
    gateway: Service, faulty_upstream: FaultyUpstream
) -> None:
    prompt = f"My SSN is 536-22-1234. {DIGITS}"
    decision = route(gateway, prompt)
    assert decision["privacy_action"] == "local_only"
    assert (decision["tier"], decision["fallbacks"]) == ("device", [])
    before = len(faulty_upstream.received)
    with sdk(gateway) as client, pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="auto",
            messages=[{"role": "user", "content": prompt}],
            max_tokens=8,
            extra_body=PRIVACY_FIRST,
        )
    assert "the context window is 512" in caught.value.message
    assert "536-22" not in str(caught.value)
    assert len(faulty_upstream.received) == before
