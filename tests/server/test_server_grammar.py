"""Structured output the embedded model's grammar could not hold used to kill the gateway.

A `response_format` schema with a `"` in an enum value, a const or a property name, or a
pattern with `\\d`, made llama.cpp print the grammar (values included) to stderr and the
process die (SIGSEGV); a pattern with a bare `]` hung the model's worker. Here a gateway of
its own (the embedded tier only, so `model: "auto"` reaches it) answers them through the
official SDK, stays up, and its log (stdout and stderr) never holds a value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from gateway_processes import Service, running_gateway

SSN = "536-22-1234"
VALUE = f'say "hi" {SSN}'
NAME = f'a"b {SSN}'


@pytest.fixture(scope="module")
def device_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    config = "tiers:\n  - {kind: llama_cpp, name: device, n_ctx: 1024}\nprivacy: {ner: false}\n"
    with running_gateway(tmp_path_factory.mktemp("grammar"), "device", config) as service:
        yield service


def field(schema: dict[str, Any], name: str = "s") -> dict[str, Any]:
    return {"type": "object", "properties": {name: schema}, "required": [name]}


def ask(service: Service, schema: dict[str, Any]) -> str:
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    with openai.OpenAI(
        base_url=service.url + "/v1", api_key="none", max_retries=0, timeout=120
    ) as sdk:
        completion = sdk.chat.completions.create(
            model="auto",
            messages=[{"role": "user", "content": "Answer in JSON."}],
            max_tokens=64,
            temperature=0,
            seed=1,
            response_format=fmt,  # type: ignore[arg-type]
        )
    return completion.choices[0].message.content or ""


def assert_alive_and_quiet(service: Service) -> None:
    assert service.process.poll() is None, service.log.read_text()[-2000:]
    assert httpx.get(service.url + "/healthz", timeout=5).json() == {"status": "ok"}
    log = service.log.read_text(errors="replace")
    assert SSN not in log and "error parsing grammar" not in log, log[-2000:]


SHAPES: dict[str, tuple[dict[str, Any], Callable[[Any], object]]] = {
    "enum value with a quote": (field({"enum": [VALUE]}), lambda v: v == {"s": VALUE}),
    "const with a quote": (field({"const": VALUE}), lambda v: v == {"s": VALUE}),
    "property name with a quote": (
        field({"type": "boolean"}, NAME),
        lambda v: isinstance(v[NAME], bool),
    ),
    "pattern with \\d": (
        field({"type": "string", "pattern": r"^\d{3}-\d{2}-\d{4}$"}),
        lambda v: re.fullmatch(r"\d{3}-\d{2}-\d{4}", v["s"], re.ASCII),
    ),
    "pattern with a bare ]": (
        field({"type": "string", "pattern": r"^\[a]b$"}),
        lambda v: v == {"s": "[a]b"},
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_schemas_that_killed_the_gateway_are_answered(device_gateway: Service, shape: str) -> None:
    schema, check = SHAPES[shape]
    answer = ask(device_gateway, schema)
    assert check(json.loads(answer)), answer
    assert_alive_and_quiet(device_gateway)


def test_a_schema_the_tier_cannot_follow_is_a_400_naming_no_value(
    device_gateway: Service,
) -> None:
    # A definition that is only a reference to itself: a grammar llama.cpp calls left-recursive.
    schema = {
        "type": "object",
        "properties": {"card": {"enum": [SSN]}, "x": {"$ref": f"#/$defs/{SSN}"}},
        "$defs": {SSN: {"$ref": f"#/$defs/{SSN}"}},
    }
    with pytest.raises(openai.BadRequestError) as caught:
        ask(device_gateway, schema)
    assert caught.value.code == "tier_rejected_request"
    assert caught.value.body == {
        "message": (
            "tier 'device': response_format: more than this tier can follow "
            "(the schema's grammar has left recursion)"
        ),
        "type": "invalid_request_error",
        "param": None,
        "code": "tier_rejected_request",
    }
    assert SSN not in str(caught.value)
    assert_alive_and_quiet(device_gateway)
