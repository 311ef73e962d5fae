"""Review 19: an upstream's answer that Python's JSON reader cannot take (nested too deep, an
integer too long) or a 402 from its account came back as a 500 or a 400, with no fallback.
Through a real gateway process and the official SDK: the next tier of the plan answers, and a
tier the caller forced gives the documented error, never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from gateway_processes import Service, running_gateway

from tests.upstreams import FaultyUpstream

FAULTS = ("status-402", "deep-json", "big-int", "deep-error")


@pytest.fixture(scope="module")
def gateway(
    faulty_upstream: FaultyUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    # One cheap trusted tier per fault, planned first; a dearer one behind each answers.
    tier = (
        "  - {{kind: openai, name: {name}, location: private_cloud, trusted: true,\n"
        '     base_url: "{url}", model: {model}, price_in_per_m: {price},\n'
        "     price_out_per_m: {price},\n"
        "     latency: {{prefill_tps: 5000, decode_tps: 80, rtt_ms: 5}}}}\n"
    )
    tiers = "".join(
        tier.format(name=f"f{i}", url=faulty_upstream.base_url, model=fault, price=0.01)
        for i, fault in enumerate(FAULTS)
    )
    tiers += tier.format(name="backup", url=faulty_upstream.base_url, model="echo", price=5.0)
    config = f"tiers:\n{tiers}privacy: {{ner: false}}\nrouting: {{breaker_failures: 100}}\n"
    with running_gateway(tmp_path_factory.mktemp("faults"), "faults", config) as service:
        yield service


def sdk(gateway: Service) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key="none", max_retries=0, timeout=60)


@pytest.mark.parametrize("index", range(len(FAULTS)), ids=FAULTS)
def test_a_forced_faulty_tier_gives_the_documented_error(gateway: Service, index: int) -> None:
    with sdk(gateway) as client, pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(
            model=f"f{index}", messages=[{"role": "user", "content": "hello there"}], max_tokens=4
        )
    assert caught.value.status_code in (502, 503)
    assert caught.value.body["code"] in ("tier_bad_response", "tier_unavailable")  # type: ignore[index]


def test_the_next_tier_answers_for_a_faulty_one(gateway: Service) -> None:
    with sdk(gateway) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="auto", messages=[{"role": "user", "content": "hello there"}], max_tokens=4
        )
    assert raw.headers["x-hybridroute-tier"] == "backup"
    assert raw.headers["x-hybridroute-degraded"] == "true"
    assert raw.parse().choices[0].message.content.startswith("echo:")
