"""API keys against the real gateway: 401 without a valid key, 403 beyond its permissions,
429 once its budget is spent. Checked before any model is called."""

from __future__ import annotations

import time

import httpx
import openai
import pytest
from gateway_processes import KEYS

CHAT = {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}


def post(url: str, key: str | None, body: object = CHAT, **headers: str) -> httpx.Response:
    if key is not None:
        headers["authorization"] = f"Bearer {key}"
    return httpx.post(url + "/v1/chat/completions", json=body, headers=headers, timeout=60)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing API key"),
        ({"authorization": "Bearer sk-wrong"}, "invalid API key"),
        ({"authorization": "Basic c2stdGVzdC1hZG1pbg=="}, "missing API key"),
        ({"x-api-key": "sk-wrong"}, "invalid API key"),
    ],
)
def test_missing_or_bad_key_is_401(gateway: str, headers: dict[str, str], message: str) -> None:
    for path in ("/v1/chat/completions", "/v1/route"):
        response = httpx.post(gateway + path, json=CHAT, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        error = response.json()["error"]
        assert error["code"] == "invalid_api_key" and message in error["message"]
    assert httpx.get(gateway + "/v1/models", headers=headers).status_code == 401


def test_unauthenticated_malformed_body_is_still_401(gateway: str) -> None:
    response = httpx.post(gateway + "/v1/chat/completions", content=b"{not json")
    assert response.status_code == 401


def test_sdk_raises_authentication_error(gateway: str) -> None:
    sdk = openai.OpenAI(base_url=gateway + "/v1", api_key="sk-wrong", max_retries=0)
    with sdk, pytest.raises(openai.AuthenticationError) as info:
        sdk.chat.completions.create(model="auto", messages=CHAT["messages"])  # type: ignore[arg-type]
    assert info.value.code == "invalid_api_key"


def test_x_api_key_header_is_accepted(gateway: str) -> None:
    response = httpx.get(gateway + "/v1/models", headers={"x-api-key": KEYS["admin"]})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("key", "body", "headers", "param"),
    [
        ("device-only", {**CHAT, "model": "private"}, {}, "model"),
        ("auto-only", {**CHAT, "model": "device"}, {}, "model"),
        ("auto-only", {**CHAT, "hybridroute": {"mode": "cost-first"}}, {}, "mode"),
        ("auto-only", CHAT, {"x-hybridroute-mode": "performance-first"}, "mode"),
        ("admin", {**CHAT, "hybridroute": {"sensitivity": "allow"}}, {}, "sensitivity"),
    ],
)
def test_beyond_the_keys_permissions_is_403(
    gateway: str, key: str, body: dict[str, object], headers: dict[str, str], param: str
) -> None:
    response = post(gateway, KEYS[key], body, **headers)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["type"] == "permission_error" and error["param"] == param


def test_sdk_raises_permission_denied(gateway: str) -> None:
    sdk = openai.OpenAI(base_url=gateway + "/v1", api_key=KEYS["device-only"], max_retries=0)
    with sdk, pytest.raises(openai.PermissionDeniedError, match="may not use tier 'private'"):
        sdk.chat.completions.create(model="private", messages=CHAT["messages"])  # type: ignore[arg-type]


def test_budget_is_enforced_per_key(gateway: str) -> None:
    body = {**CHAT, "model": "auto"}
    assert post(gateway, KEYS["metered"], body).status_code == 200
    assert post(gateway, KEYS["metered"], body).status_code == 200
    refused = post(gateway, KEYS["metered"], body)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "budget_exceeded"
    assert 3000 < int(refused.headers["retry-after"]) <= 3600
    # Other keys are unaffected.
    assert httpx.get(gateway + "/v1/models", headers={"x-api-key": KEYS["admin"]}).is_success


def test_a_stream_left_before_its_end_is_charged(gateway: str) -> None:
    # The review read all but the last chunk of streams and left: never charged, so a
    # 100-token budget served 600. Now what was sent counts: 25 chunks > 20 tokens.
    body = {
        "model": "device",
        "stream": True,
        "max_tokens": 200,
        "temperature": 0,
        "messages": [{"role": "user", "content": "Count from 1 to 100, separated by commas."}],
    }
    headers = {"authorization": f"Bearer {KEYS['tokens']}"}
    with httpx.stream(
        "POST", gateway + "/v1/chat/completions", json=body, headers=headers, timeout=60
    ) as response:
        assert response.status_code == 200
        events = 0
        for line in response.iter_lines():
            events += line.startswith("data: {")
            if events == 25:
                break
    assert events == 25
    # The charge lands when the gateway notices the client left, which also frees the device.
    # Only the first request after it tells old from new: an admitted one would charge its
    # own prompt's tokens.
    deadline = time.perf_counter() + 10
    while httpx.get(gateway + "/readyz").json()["tiers"]["device"]["detail"] != "queue=0":
        assert time.perf_counter() < deadline, "the abandoned stream kept the device busy"
        time.sleep(0.1)
    refused = post(gateway, KEYS["tokens"], {**CHAT, "model": "device", "max_tokens": 1})
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "budget_exceeded"


def test_health_and_metrics_need_no_key(gateway: str) -> None:
    assert httpx.get(gateway + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(gateway + "/readyz").json()
    assert ready["status"] == "ready"
    assert ready["tiers"]["device"] == {"health": "up", "detail": "queue=0", "breaker": "closed"}
    assert ready["tiers"]["private"]["health"] == "up"
    text = httpx.get(gateway + "/metrics").text
    assert "hybridroute_requests_total" in text
    assert 'hybridroute_gateway_errors_total{code="permission_denied"}' in text
    assert 'hybridroute_gateway_errors_total{code="invalid_api_key"}' in text
