"""Malformed, mistyped, unknown and oversized input gets a 4xx in OpenAI's error format,
never a 5xx; upstream failures map through the error table (stub gateway, httpx)."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

OK = {"messages": [{"role": "user", "content": "Hi"}]}
JSON = {"content-type": "application/json"}


def chat(url: str, content: bytes, headers: dict[str, str] = JSON) -> httpx.Response:
    return httpx.post(url + "/v1/chat/completions", content=content, headers=headers, timeout=30)


def assert_openai_error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    return error


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"null",
        b"[]",
        b'"text"',
        b"\xff\xfe",
        b'{"messages": []}',
        b'{"messages": "hello"}',
        b'{"messages": [{"role": "robot", "content": "x"}]}',
        b'{"messages": [{"role": "user", "content": 5}]}',
        b'{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}',
        b'{"messages": [{"role": "user", "content": "x", "colour": "red"}]}',
        b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": "many"}',
        b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}',
        b'{"messages": [{"role": "user", "content": "x"}], "temperature": 9}',
        b'{"messages": [{"role": "user", "content": "x"}], "n": 2}',
        b'{"messages": [{"role": "user", "content": "x"}], "stream": "sometimes"}',
        b'{"messages": [{"role": "user", "content": "x"}], "unknown_field": 1}',
        b'{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "x"}]}',
        b'{"messages": [{"role": "user", "content": "x"}], "hybridroute": {"mode": "fast"}}',
        b'{"messages": [{"role": "user", "content": "x"}], "hybridroute": {"x": 1}}',
        b'{"messages": [{"role": "user", "content": "x"}], "model": ""}',
        # Valid to Python's JSON parser but not to anything downstream of it:
        b'{"messages": [{"role": "user", "content": "hi \\ud800 there"}]}',
        b'{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", '
        b'"function": {"name": "f", "parameters": {"x": Infinity}}}]}',
        b'{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", '
        b'"function": {"name": "f", "parameters": ' + b'{"a": ' * 500 + b"1" + b"}" * 500 + b"}}]}",
    ],
)
def test_invalid_bodies_are_400(stub_gateway: str, content: bytes) -> None:
    error = assert_openai_error(chat(stub_gateway, content), 400)
    assert error["type"] == "invalid_request_error"


def test_unknown_field_names_the_field(stub_gateway: str) -> None:
    body = json.dumps({**OK, "temprature": 0.1}).encode()
    error = assert_openai_error(chat(stub_gateway, body), 400)
    assert error["param"] == "temprature"
    assert error["message"] == (
        "unrecognized request argument supplied: temprature (did you mean 'temperature'?)"
    )


@pytest.mark.parametrize(
    ("key", "param"),
    [("top_k", "top_k"), ("hunter2pass", "<key>"), ("derek_holt", "<key>"), ("a@b.io", "<key>")],
)
def test_unknown_field_is_named_only_if_it_is_a_known_parameter(
    stub_gateway: str, key: str, param: str
) -> None:
    # A key no API knows may be the caller's data (a password, a name): never echoed.
    error = assert_openai_error(chat(stub_gateway, json.dumps({**OK, key: 1}).encode()), 400)
    assert error["param"] == param
    assert error["message"] == f"unrecognized request argument supplied: {param}"
    assert param == key or key not in json.dumps(error)


def test_error_messages_never_echo_the_prompt(stub_gateway: str) -> None:
    secret = "SSN 460-89-9847 of Jane Roe"
    body = {"messages": [{"role": "user", "content": [{"type": "text", "text": 5, "x": secret}]}]}
    response = chat(stub_gateway, json.dumps(body).encode())
    assert response.status_code == 400 and secret not in response.text


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({**OK, "metadata": {"jane.roe@example.org": 5}}, 400),
        ({**OK, "logit_bias": {"460-89-9847": "x"}}, 400),
        ({**OK, "jane.roe@example.org": 1}, 400),
        ({"messages": [{"role": "user", "content": "Hi", "jane.roe@example.org": 1}]}, 400),
        ({**OK, "model": "jane.roe@example.org"}, 404),
        ({"messages": [{"role": "user", "content": [{"type": "ssn 460-89-9847"}]}]}, 400),
    ],
)
def test_error_bodies_never_echo_keys_or_values_the_caller_sent(
    stub_gateway: str, body: dict[str, object], status: int
) -> None:
    response = chat(stub_gateway, json.dumps(body).encode())
    assert_openai_error(response, status)
    assert "jane.roe" not in response.text and "460-89-9847" not in response.text


def test_form_encoded_body_is_400_with_a_hint(stub_gateway: str) -> None:
    response = chat(stub_gateway, b"a=b", {"content-type": "application/x-www-form-urlencoded"})
    error = assert_openai_error(response, 400)
    assert "application/json" in str(error["message"])


def test_unknown_model_is_404(stub_gateway: str) -> None:
    body = json.dumps({**OK, "model": "gpt-4o"}).encode()
    error = assert_openai_error(chat(stub_gateway, body), 404)
    assert error["code"] == "model_not_found" and error["param"] == "model"


def test_invalid_routing_header_is_400(stub_gateway: str) -> None:
    headers = {**JSON, "x-hybridroute-budget-ms": "soon"}
    error = assert_openai_error(chat(stub_gateway, json.dumps(OK).encode(), headers), 400)
    assert error["param"] == "x-hybridroute-budget-ms"


def test_huge_body_is_413_by_content_length(stub_gateway: str) -> None:
    huge = json.dumps({"messages": [{"role": "user", "content": "x" * 2_000_000}]}).encode()
    error = assert_openai_error(chat(stub_gateway, huge), 413)
    assert error["code"] == "request_too_large"


def test_huge_chunked_body_is_413(stub_gateway: str) -> None:
    def pieces():  # type: ignore[no-untyped-def]
        yield b'{"messages": [{"role": "user", "content": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}]}'

    response = httpx.post(stub_gateway + "/v1/chat/completions", content=pieces(), headers=JSON)
    assert_openai_error(response, 413)


def test_small_chunked_body_is_served(stub_gateway: str) -> None:
    def pieces():  # type: ignore[no-untyped-def]
        yield json.dumps(OK).encode()

    response = httpx.post(stub_gateway + "/v1/chat/completions", content=pieces(), headers=JSON)
    assert response.status_code == 200


def test_unknown_path_and_method_are_4xx(stub_gateway: str) -> None:
    assert_openai_error(httpx.get(stub_gateway + "/v1/nothing"), 404)
    response = httpx.get(stub_gateway + "/v1/chat/completions")
    assert_openai_error(response, 405)
    assert response.headers["allow"] == "POST"  # RFC 9110 requires it with a 405


def test_keys_of_free_form_objects_are_never_echoed(stub_gateway: str) -> None:
    # Shaped like a field name, but a key of `metadata` is the caller's data, not a typo.
    body = json.dumps({**OK, "metadata": {"hunter2pass": 5}}).encode()
    error = assert_openai_error(chat(stub_gateway, body), 400)
    assert "hunter2pass" not in json.dumps(error) and error["param"] == "metadata.<key>"


@pytest.mark.parametrize(("tier", "status"), [("broken", 503), ("limited", 429)])
def test_upstream_failures_map_through_the_error_table(
    stub_gateway: str, tier: str, status: int
) -> None:
    body = json.dumps({**OK, "model": tier}).encode()
    # One tier tried (forced): its own error reaches the client, so a 429 stays a 429.
    response = chat(stub_gateway, body)
    error = assert_openai_error(response, status)
    assert tier in str(error["message"]) and f"HTTP {500 if tier == 'broken' else 429}" in str(
        error["message"]
    )
    assert "stub failure" not in str(error["message"])  # upstream text is not relayed
    if status == 429:
        assert response.headers.get("retry-after")


def test_upstream_failure_in_a_stream_is_an_error_status(stub_gateway: str) -> None:
    body = json.dumps({**OK, "model": "broken", "stream": True}).encode()
    assert_openai_error(chat(stub_gateway, body), 503)


def test_stub_stream_and_tool_calls_through_the_sdk(stub_gateway: str) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    sdk = openai.OpenAI(base_url=stub_gateway + "/v1", api_key="unused", max_retries=0)
    with sdk:
        answer = sdk.chat.completions.create(
            model="stub", messages=OK["messages"], tools=tools, tool_choice="auto"
        )
        call = answer.choices[0].message.tool_calls[0]  # type: ignore[index]
        assert call.function.name == "get_weather"  # type: ignore[union-attr]
        assert answer.choices[0].finish_reason == "tool_calls"
        chunks = list(
            sdk.chat.completions.create(model="stub", messages=OK["messages"], stream=True)
        )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip() == "Hello from the stub upstream."


def test_open_gateway_refuses_to_lower_the_privacy_label(stub_gateway: str) -> None:
    body = json.dumps({**OK, "hybridroute": {"sensitivity": "allow"}}).encode()
    error = assert_openai_error(chat(stub_gateway, body), 403)
    assert error["param"] == "sensitivity" or "sensitivity" in str(error["message"])


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"stream": "yes"}, "stream"),
        ({"stream": 1}, "stream"),
        ({"max_tokens": 5.0}, "max_tokens"),
        ({"hybridroute": {"budget_ms": True}}, "hybridroute.budget_ms"),
        ({"stop": [""]}, "stop"),
        ({"stop": ""}, "stop"),
    ],
)
def test_values_of_the_wrong_json_type_are_400_not_guesses(
    stub_gateway: str, extra: dict[str, object], param: str
) -> None:
    error = assert_openai_error(chat(stub_gateway, json.dumps({**OK, **extra}).encode()), 400)
    assert error["param"] == param
    assert "Value error" not in str(error["message"])  # pydantic's prefix, not for clients


def test_read_endpoints_answer_head_and_models_retrieve(stub_gateway: str) -> None:
    for path in ("/healthz", "/readyz", "/v1/models", "/metrics"):
        response = httpx.head(stub_gateway + path)
        assert response.status_code == 200, path
        assert response.content == b""
    listed = httpx.get(stub_gateway + "/v1/models").json()["data"]
    one = httpx.get(stub_gateway + "/v1/models/" + listed[0]["id"])
    assert one.status_code == 200 and one.json() == listed[0]
    missing = assert_openai_error(httpx.get(stub_gateway + "/v1/models/no-such-4111"), 404)
    assert missing["code"] == "model_not_found" and "4111" not in json.dumps(missing)


def test_trailing_slash_is_404_not_a_redirect_built_from_host(stub_gateway: str) -> None:
    response = httpx.post(
        stub_gateway + "/v1/chat/completions/",
        content=json.dumps(OK).encode(),
        headers={**JSON, "host": "evil.example"},
    )
    assert response.status_code == 404 and "location" not in response.headers
