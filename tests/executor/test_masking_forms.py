"""Masking before an untrusted tier, end to end (Review 14): the executor with the real privacy
scanner and a real OpenAI-compatible tier calling a recording upstream on loopback whose
answer each test writes from the (masked) request it received."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hybridroute.executor.breaker import Breaker
from hybridroute.executor.run import Executor
from hybridroute.plans import Decision, Masked
from hybridroute.privacy import PrivacyScanner, PrivacySettings
from hybridroute.tiers.openai_compatible import OpenAICompatibleTier
from hybridroute.types import Message, Request
from tests.conftest import cloud_tier
from tests.upstreams import LoopbackServer

NAME, MAIL = "Marta Kowalski", "zed.quux@examplecorp.io"  # invented
VALUE_PARTS = re.compile("marta|kowalski|zed|quux|examplecorp", re.IGNORECASE)
IDENTIFIER = re.compile(r"[a-zA-Z0-9_-]+")  # what OpenAI accepts as a function or schema name


class Answer:
    """What the upstream answers: text (in `chunks` when streamed) and tool calls."""

    def __init__(self, chunks: list[str], tool_calls: list[dict[str, Any]] | None = None) -> None:
        self.chunks = chunks
        self.tool_calls = tool_calls or []


def always(answer: Answer) -> Callable[[dict[str, Any]], Answer]:
    return lambda body: answer


class RecordingUpstream(LoopbackServer):
    """An OpenAI-compatible server in a thread: records each body, answers `reply(body)`."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.reply: Callable[[dict[str, Any]], Answer] = lambda body: Answer(["ok"])
        app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/models", lambda request: JSONResponse({"data": []})),
            ]
        )
        super().__init__(app)

    async def _chat(self, request: HttpRequest) -> Response:
        body = await request.json()
        self.received.append(body)
        answer = self.reply(body)
        calls = [{"index": i, "type": "function", **c} for i, c in enumerate(answer.tool_calls)]
        finish = "tool_calls" if calls else "stop"
        if not body.get("stream"):
            message: dict[str, Any] = {
                "role": "assistant",
                "content": "".join(answer.chunks) or None,
            }
            if calls:
                message["tool_calls"] = [
                    {k: v for k, v in c.items() if k != "index"} for c in calls
                ]
            choice = {"index": 0, "message": message, "finish_reason": finish}
            usage = {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}
            return JSONResponse(
                {"id": "x", "object": "chat.completion", "choices": [choice], "usage": usage}
            )

        def event(delta: dict[str, Any], finish_reason: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
            chunk = {"id": "x", "object": "chat.completion.chunk", "choices": [choice]}
            return f"data: {json.dumps(chunk)}\n\n"

        events = [event({"content": chunk}) for chunk in answer.chunks]
        events += [event({"tool_calls": [call]}) for call in calls]
        events += [event({}, finish), "data: [DONE]\n\n"]
        return StreamingResponse(iter(events), media_type="text/event-stream")


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with RecordingUpstream() as server:
        yield server


@pytest.fixture(scope="module")
def scanner() -> PrivacyScanner:
    return PrivacyScanner(PrivacySettings(ner=False))


@pytest.fixture
async def cloud(upstream: RecordingUpstream) -> AsyncIterator[OpenAICompatibleTier]:
    tier = cloud_tier(upstream.base_url, "m")
    yield tier
    await tier.aclose()


async def run(
    cloud: OpenAICompatibleTier,
    scanner: PrivacyScanner,
    request: Request,
    *,
    streamed: bool = False,
) -> tuple[str, list[dict[str, Any]]]:
    """The executor's masked call to `cloud`: the answer's text and tool calls."""
    executor = Executor(
        tiers={"cloud": cloud}, breakers={"cloud": Breaker(clock=time.monotonic)}, scanner=scanner
    )
    decision = Decision(plan=Masked(tier="cloud"), reasons=(), privacy_action="mask")
    if not streamed:
        completion, served = await executor.complete(request, decision)
        assert served.masked
        return completion.text, [dict(c) for c in completion.tool_calls or ()]
    routed = await executor.open_stream(request, decision)
    text = "".join([delta.text async for delta in routed])
    assert routed.served.masked and routed.final is not None
    return text, [dict(c) for c in routed.final.tool_calls or ()]


def placeholders(body: dict[str, Any], label: str) -> list[str]:
    """The placeholders of one type the upstream received, bare, in order of appearance."""
    found = re.findall(rf"\b{label}_\d+\b", json.dumps(body))
    return list(dict.fromkeys(found))


def prompt(text: str, **extra: Any) -> Request:
    return Request(
        messages=(Message(role="user", content=text, extra=extra.pop("m", {})),), **extra
    )


@pytest.mark.parametrize("streamed", [False, True])
async def test_other_spellings_of_a_masked_value_stay_masked_and_come_back(
    upstream: RecordingUpstream,
    cloud: OpenAICompatibleTier,
    scanner: PrivacyScanner,
    streamed: bool,
) -> None:
    # Review 14, M2: "Marta Kowalski" was masked in the prompt, but the message `name`
    # "marta_kowalski", the tool "notify_marta_kowalski" and the schema pattern
    # "^zed\.quux@examplecorp\.io$" reached the upstream as they were.
    pattern = r"^zed\.quux@examplecorp\.io$"
    tool = {
        "type": "function",
        "function": {
            "name": "notify_marta_kowalski",
            "description": "Notifies marta.kowalski",
            "parameters": {
                "type": "object",
                "properties": {"to": {"type": "string", "pattern": pattern}},
            },
        },
    }
    request = prompt(
        f"Write to {NAME} at {MAIL} about the meeting.",
        m={"name": "marta_kowalski"},
        tools=(tool,),
    )

    def reply(body: dict[str, Any]) -> Answer:
        sent = body["tools"][0]["function"]
        to = re.sub(r"^\^|\$$", "", sent["parameters"]["properties"]["to"]["pattern"])
        arguments = json.dumps({"to": to})
        return Answer(
            ["Calling it."],
            [{"id": "c1", "function": {"name": sent["name"], "arguments": arguments}}],
        )

    upstream.reply = reply
    _, calls = await run(cloud, scanner, request, streamed=streamed)
    sent = upstream.received[-1]
    assert not VALUE_PARTS.search(json.dumps(sent)), "a value reached the upstream"
    name, function = sent["messages"][0]["name"], sent["tools"][0]["function"]["name"]
    assert IDENTIFIER.fullmatch(name) and IDENTIFIER.fullmatch(function)
    # Each spelling comes back as it was: the client's own tool name, the pattern's value.
    assert calls[0]["function"]["name"] == "notify_marta_kowalski"
    assert json.loads(calls[0]["function"]["arguments"]) == {"to": r"zed\.quux@examplecorp\.io"}


ALTERED = (
    "Dear <person_1>, < PERSON_1 >, PERSON_1, \\<PERSON_1\\>, &lt;PERSON_1&gt; at < email_1 >;"
    " not <PERSON_99> or person_1."
)
RESTORED = f"Dear {NAME}, {NAME}, {NAME}, {NAME}, {NAME} at {MAIL}; not <PERSON_99> or person_1."


@pytest.mark.parametrize("chunking", ["plain", "one-piece", "characters", "halves"])
async def test_placeholders_the_upstream_altered_are_restored(
    upstream: RecordingUpstream, cloud: OpenAICompatibleTier, scanner: PrivacyScanner, chunking: str
) -> None:
    # Review 14, L5: these came back to the client as the upstream wrote them.
    middle = len(ALTERED) // 2
    chunks = {"characters": list(ALTERED), "halves": [ALTERED[:middle], ALTERED[middle:]]}
    upstream.reply = always(Answer(chunks.get(chunking, [ALTERED])))
    request = prompt(f"Write to {NAME} at {MAIL} about the meeting.")
    text, _ = await run(cloud, scanner, request, streamed=chunking != "plain")
    sent = upstream.received[-1]
    assert placeholders(sent, "PERSON") == ["PERSON_1"]
    assert placeholders(sent, "EMAIL") == ["EMAIL_1"]
    assert text == RESTORED


async def test_a_stream_split_inside_every_altered_form_is_restored_whole(
    upstream: RecordingUpstream, cloud: OpenAICompatibleTier, scanner: PrivacyScanner
) -> None:
    # Every split point of the answer, one request each (Review 14's split_sweep.py).
    answer = "<person_1>|< PERSON_1 >|PERSON_1|\\<PERSON_1\\>|&lt;PERSON_1&gt;|<"
    want = f"{NAME}|{NAME}|{NAME}|{NAME}|{NAME}|<"
    request = prompt(f"Write to {NAME} at {MAIL}.")
    for cut in range(1, len(answer)):
        upstream.reply = always(Answer([answer[:cut], answer[cut:]]))
        text, _ = await run(cloud, scanner, request, streamed=True)
        assert text == want, cut


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_json_schema_name_goes_bare_and_comes_back(
    upstream: RecordingUpstream,
    cloud: OpenAICompatibleTier,
    scanner: PrivacyScanner,
    streamed: bool,
) -> None:
    # Review 14, L6: the name went as "<PERSON_1>_letter"; OpenAI takes only [a-zA-Z0-9_-].
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "Kowalski_letter", "schema": {"type": "object"}},
    }
    request = prompt(
        f"Draft a letter to Kowalski, Marta, at {MAIL}", response_format=response_format
    )

    def reply(body: dict[str, Any]) -> Answer:
        # Some OpenAI-compatible servers answer a schema with a call named after it.
        schema_name = body["response_format"]["json_schema"]["name"]
        call = {"id": "c1", "function": {"name": schema_name, "arguments": "{}"}}
        return Answer([f"Saved as {schema_name}."], [call])

    upstream.reply = reply
    text, calls = await run(cloud, scanner, request, streamed=streamed)
    sent = upstream.received[-1]["response_format"]["json_schema"]["name"]
    assert IDENTIFIER.fullmatch(sent) and "Kowalski" not in sent
    assert text == "Saved as Kowalski_letter."
    assert calls[0]["function"]["name"] == "Kowalski_letter"
