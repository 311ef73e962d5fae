"""The Router end to end: real embedded model, real upstream servers on loopback."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest
from spacy.lang.zh import examples as zh_examples

from hybridroute import (
    Hints,
    NoEligibleTier,
    Principal,
    RequestContext,
    Router,
    SensitiveDataBlocked,
    TierUnavailable,
)
from hybridroute.capability import CapabilityScorer, CapabilitySettings
from hybridroute.config import RoutingSettings
from hybridroute.executor.run import _restore_calls
from hybridroute.privacy import MaskSession, PrivacyScanner, PrivacySettings
from hybridroute.privacy.entities import Entity
from hybridroute.signals.tokens import Vocabulary, approx_tokens
from hybridroute.telemetry import DecisionRecord
from hybridroute.tiers.llamacpp import LlamaCppTier
from hybridroute.tiers.openai_compatible import OpenAICompatibleTier
from hybridroute.types import Request
from tests.conftest import cloud_tier
from tests.upstreams import FaultyUpstream, free_port

EMAIL = "jane.roe@mailhost.net"
SSN = "536-22-1234"


@pytest.fixture
async def make_router(device_tier: LlamaCppTier) -> AsyncIterator[object]:
    made: list[OpenAICompatibleTier] = []

    def build(
        cloud_url: str | None,
        *,
        local_ok: float = 0.9,
        records: list[DecisionRecord] | None = None,
        model: str = "echo",
    ) -> Router:
        tiers: dict[str, object] = {"device": device_tier}
        if cloud_url is not None:
            cloud = cloud_tier(cloud_url, model)
            made.append(cloud)
            tiers["cloud"] = cloud
        sinks = [records.append] if records is not None else []
        return Router(
            tiers=tiers,  # type: ignore[arg-type]
            routing=RoutingSettings(),
            privacy=PrivacyScanner(PrivacySettings(ner=False)),
            capability=CapabilityScorer(CapabilitySettings(fallback=local_ok)),
            sinks=sinks,
        )

    yield build
    for tier in made:
        await tier.aclose()


def ask(text: str) -> Request:
    return Request.from_prompt(text, temperature=0.0, max_tokens=12)


async def test_plain_question_is_answered_on_the_device(make_router) -> None:  # type: ignore[no-untyped-def]
    router = make_router(None)
    routed = await router.complete(ask("What is the capital of France?"))
    assert routed.tier == "device" and not routed.degraded
    assert routed.completion.text
    assert routed.cost_usd == 0.0
    assert "objective" in routed.decision.summary()


async def test_sensitive_data_never_reaches_the_public_tier(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    router = make_router(faulty_upstream.base_url, local_ok=0.05)
    before = len(faulty_upstream.received)
    routed = await router.complete(ask(f"My SSN is {SSN}. Is it valid?"))
    assert routed.tier == "device"
    assert routed.decision.privacy_action == "local_only"
    assert len(faulty_upstream.received) == before, "the public tier was contacted"


async def test_masked_request_reaches_the_cloud_without_values_and_is_restored(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    router = make_router(faulty_upstream.base_url, local_ok=0.05)
    routed = await router.complete(ask(f"Draft a reply to {EMAIL} about lunch."))
    assert routed.tier == "cloud"
    assert routed.decision.plan.kind == "masked"
    sent = json.dumps(faulty_upstream.received[-1])
    assert EMAIL not in sent and "<EMAIL_1>" in sent
    # The echo upstream repeats the masked text; the router restores the real value.
    assert EMAIL in routed.completion.text and "<EMAIL_1>" not in routed.completion.text
    assert routed.cost_usd > 0


async def test_masked_streaming_restores_values(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    router = make_router(faulty_upstream.base_url, local_ok=0.05)
    stream = await router.stream(ask(f"Write to {EMAIL} and to {EMAIL} again."))
    assert stream.tier == "cloud"
    text = "".join([d.text async for d in stream])
    assert text.count(EMAIL) == 2 and "<EMAIL" not in text
    assert EMAIL not in json.dumps(faulty_upstream.received[-1])


async def test_unreachable_cloud_degrades_to_the_device_and_opens_the_breaker(
    make_router,  # type: ignore[no-untyped-def]
) -> None:
    router = make_router(f"http://127.0.0.1:{free_port()}/v1", local_ok=0.05)
    for _ in range(3):
        routed = await router.complete(ask("Explain quantum field theory in detail."))
        assert routed.tier == "device" and routed.degraded
        assert routed.served.attempts[0].tier == "cloud"
    decision = router.route(ask("Explain quantum field theory in detail."))
    assert decision.tier == "device"
    assert "tier_unavailable" in {r.rule for r in decision.reasons}


async def test_streaming_degrades_before_the_first_token(make_router) -> None:  # type: ignore[no-untyped-def]
    router = make_router(f"http://127.0.0.1:{free_port()}/v1", local_ok=0.05)
    stream = await router.stream(ask("Explain general relativity."))
    assert stream.tier == "device" and stream.served.degraded
    assert "".join([d.text async for d in stream])


async def test_local_only_with_device_gone_is_refused(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    router = make_router(faulty_upstream.base_url)
    router.breakers["device"].record_failure()
    router.breakers["device"].record_failure()
    router.breakers["device"].record_failure()
    before = len(faulty_upstream.received)
    # Refused, and not for good: the device would serve once its breaker lets it (a 503).
    with pytest.raises(TierUnavailable, match=r"retry later.*sensitive_local_only"):
        await router.complete(ask(f"SSN {SSN}, what now?"))
    assert len(faulty_upstream.received) == before


async def test_forcing_the_untrusted_tier_with_sensitive_data_is_blocked(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    router = make_router(faulty_upstream.base_url)
    before = len(faulty_upstream.received)
    forced = RequestContext(hints=Hints(force_tier="cloud"))
    with pytest.raises(SensitiveDataBlocked, match="sensitive_local_only"):
        await router.complete(ask(f"SSN {SSN}, what now?"), forced)
    with pytest.raises(NoEligibleTier, match="context_window"):  # no waiting will help
        await router.complete(ask("word " * 5000), RequestContext(hints=Hints(force_tier="device")))
    assert len(faulty_upstream.received) == before


async def test_a_chinese_prompt_over_the_device_window_goes_straight_to_the_cloud(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
    count_tokens: Callable[[str], int],
) -> None:
    """1,500 characters of Chinese are ~2,400 SmolLM2 tokens, over the device's 2,048: the
    old 4-characters rule saw 369, planned the device and lost an attempt to its refusal."""
    text = " ".join(zh_examples.sentences) * 8
    assert count_tokens(text) > 2048
    router = make_router(faulty_upstream.base_url, local_ok=0.9)
    decision = router.route(ask(text))
    assert decision.tier == "cloud"
    assert "context_window" in {r.rule for r in decision.reasons}
    routed = await router.complete(ask(text))
    assert routed.tier == "cloud" and not routed.served.attempts  # no refused device attempt


async def test_a_remote_window_is_checked_in_its_own_tokens(
    device_tier: LlamaCppTier, faulty_upstream: FaultyUpstream, count_tokens: Callable[[str], int]
) -> None:
    """A large-vocabulary endpoint (GPT-4o, Llama 3) splits Chinese into about half the tokens
    SmolLM2 does: a prompt over its window in SmolLM2 tokens may still fit it."""
    text = " ".join(zh_examples.sentences) * 8
    large = approx_tokens(text, "large")
    window = (large + count_tokens(text)) // 2
    assert count_tokens(text) > window  # over it in SmolLM2's real tokens

    def route(vocabulary: Vocabulary) -> set[str]:
        cloud = cloud_tier(faulty_upstream.base_url)
        cloud.info = replace(cloud.info, context_window=window, vocabulary=vocabulary)
        router = Router(
            tiers={"device": device_tier, "cloud": cloud},  # type: ignore[dict-item]
            routing=RoutingSettings(),
            privacy=PrivacyScanner(PrivacySettings(ner=False)),
            capability=CapabilityScorer(CapabilitySettings(fallback=0.9)),
        )
        decision = router.route(ask(text))
        return {r.tier for r in decision.reasons if r.rule == "context_window"}

    assert route("small") == {"device", "cloud"}
    assert route("large") == {"device"}


@pytest.mark.parametrize(("chars_per_token", "fits_after"), [(8, True), (2, False)])
async def test_a_tier_s_reported_usage_teaches_its_token_count(
    device_tier: LlamaCppTier,
    faulty_upstream: FaultyUpstream,
    chars_per_token: int,
    fits_after: bool,
) -> None:
    """The upstream counts N characters a token (the estimate: 4). After five long prompts
    the router counts that tier's prompts as it does: a prompt over its window by the
    estimate fits a tier that counts 8 a token, and one inside it no longer fits a tier
    that counts 2."""
    cloud = cloud_tier(faulty_upstream.base_url, model=f"chars-per-token-{chars_per_token}")
    cloud.info = replace(cloud.info, context_window=2000)
    router = Router(
        tiers={"device": device_tier, "cloud": cloud},  # type: ignore[dict-item]
        routing=RoutingSettings(),
        privacy=PrivacyScanner(PrivacySettings(ner=False)),
        capability=CapabilityScorer(CapabilitySettings(fallback=0.9)),
    )
    # Over the window by the estimate (2,100 tokens) for the 8-a-token tier; inside it
    # (1,200) for the 2-a-token one.
    words = "the quick brown fox jumps over a lazy dog "
    probe = ask((words * (8400 // len(words) if fits_after else 4800 // len(words))).strip())

    def refused() -> bool:
        decision = router.route(probe)
        return any(r.rule == "context_window" and r.tier == "cloud" for r in decision.reasons)

    assert refused() is fits_after
    forced = RequestContext(hints=Hints(force_tier="cloud"))
    try:
        for index in range(5):  # each about 300 estimated tokens: enough to teach
            routed = await router.complete(ask(f"{index} " + words * 30), forced)
            assert routed.tier == "cloud"
    finally:
        await cloud.aclose()  # not the router's: the device tier is the session's
    assert refused() is not fits_after


async def test_forcing_a_tier_needs_permission(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    router = make_router(faulty_upstream.base_url, local_ok=0.9)
    guest = Principal(name="guest")
    context = RequestContext(principal=guest, hints=Hints(force_tier="cloud"), budget_ms=60_000)
    decision = router.route(ask("Hi there"), context)
    assert "hint_ignored" in decision.summary()
    owner = RequestContext(hints=Hints(force_tier="cloud"))
    assert router.route(ask("Hi there"), owner).tier == "cloud"


async def test_principal_cannot_lower_sensitivity_without_permission(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    router = make_router(faulty_upstream.base_url, local_ok=0.05)
    sneaky = RequestContext(principal=Principal(name="app"), hints=Hints(sensitivity="allow"))
    assert router.route(ask(f"SSN {SSN}"), sneaky).tier == "device"


async def test_decision_records_carry_no_sensitive_values(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    records: list[DecisionRecord] = []
    router = make_router(faulty_upstream.base_url, local_ok=0.05, records=records)
    await router.complete(ask(f"Email {EMAIL} my SSN {SSN}"))
    await router.complete(ask(f"Email {EMAIL} please"))
    assert [r.served_tier for r in records] == ["device", "cloud"]
    assert records[0].entity_counts.get("US_SSN") == 1
    assert records[1].masked and records[1].cost_usd > 0
    dumped = json.dumps([r.as_dict() for r in records])
    assert EMAIL not in dumped and SSN not in dumped


async def test_latency_estimates_learn_from_the_real_device(make_router) -> None:  # type: ignore[no-untyped-def]
    router = make_router(None)
    request = ask("Say hello.")
    routed = await router.complete(request)
    estimate = router.route(request).estimate("device")
    assert estimate is not None
    actual = routed.completion.timings.total_ms
    # After one observation the p50 estimate is within a factor of 3 of what happened.
    assert actual / 3 <= estimate.latency_p50_ms <= actual * 3


def conversation(*messages: tuple[str, str | None, dict[str, object]], **kwargs: object) -> Request:
    from hybridroute.types import Message

    return Request(
        messages=tuple(Message(role=r, content=c, extra=e) for r, c, e in messages),
        temperature=0.0,
        max_tokens=12,
        **kwargs,  # type: ignore[arg-type]
    )


CARD = "4111 1111 1111 1111"
PAY_CALL = {
    "tool_calls": [
        {
            "id": "c1",
            "type": "function",
            "function": {"name": "pay", "arguments": f'{{"card": "{CARD}", "ssn": "{SSN}"}}'},
        }
    ]
}


async def test_values_in_tool_call_arguments_count_for_the_decision(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    router = make_router(faulty_upstream.base_url, local_ok=0.05)
    request = conversation(
        ("user", "finish the payment", {}),
        ("assistant", None, PAY_CALL),
        ("tool", "needs confirmation", {"tool_call_id": "c1"}),
    )
    decision = router.route(request)
    assert decision.privacy_action == "local_only"
    assert decision.tier == "device"


async def test_masking_covers_tool_arguments_tool_definitions_and_stop(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    router = make_router(faulty_upstream.base_url, local_ok=0.05)
    call = {
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "mail", "arguments": f'{{"to": "{EMAIL}"}}'},
            }
        ]
    }
    tool = {
        "type": "function",
        "function": {"name": "mail", "description": f"Sends mail; CC {EMAIL}"},
    }
    request = conversation(
        ("user", f"Please email {EMAIL} the invoice", {}),
        ("assistant", None, call),
        ("tool", "sent", {"tool_call_id": "c1"}),
        tools=(tool,),
        stop=(EMAIL,),
    )
    routed = await router.complete(request)
    assert routed.tier == "cloud" and routed.decision.plan.kind == "masked"
    sent = json.dumps(faulty_upstream.received[-1])
    assert EMAIL not in sent
    assert sent.count("<EMAIL_1>") >= 4  # content, arguments, description, stop


async def test_masking_covers_object_keys_numbers_and_the_named_tool_choice(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    router = make_router(faulty_upstream.base_url, local_ok=0.05)
    schema = {
        "type": "object",
        "properties": {EMAIL: {"type": "string"}, "reach": {"type": "integer", "const": 555}},
        "required": [EMAIL],
    }
    tool = {"type": "function", "function": {"name": "f", "parameters": schema}}
    request = conversation(
        ("user", f"Fill the form for {EMAIL}.", {}),
        tools=(tool,),
        tool_choice={"type": "function", "function": {"name": f"for {EMAIL}"}},
    )
    routed = await router.complete(request)
    assert routed.tier == "cloud" and routed.decision.plan.kind == "masked"
    sent = faulty_upstream.received[-1]
    assert EMAIL not in json.dumps(sent)
    sent_schema = sent["tools"][0]["function"]["parameters"]  # type: ignore[index]
    # The key is masked like any value; the schema's own structure and other numbers stay.
    assert set(sent_schema["properties"]) == {"<EMAIL_1>", "reach"}
    assert sent_schema["required"] == ["<EMAIL_1>"] and sent_schema["type"] == "object"
    assert sent_schema["properties"]["reach"]["const"] == 555
    # Values only in a key or a number are seen by the routing decision as well.
    keyed = {
        "type": "function",
        "function": {
            "name": "g",
            "parameters": {"properties": {f"My SSN is {SSN}": {"type": "string"}}},
        },
    }
    numbered = {
        "type": "function",
        "function": {
            "name": "h",
            "parameters": {"properties": {"card": {"type": "integer", "const": 4111111111111111}}},
        },
    }
    # Review 12, L8: the same number written with a point was not scanned.
    floated = json.loads(json.dumps(numbered).replace("4111111111111111", "4111111111111111.0"))
    for tools in ((keyed,), (numbered,), (floated,)):
        decision = router.route(conversation(("user", "Fill the form.", {}), tools=tools))
        assert decision.privacy_action == "local_only" and decision.tier == "device"


async def test_a_seed_holding_a_masked_value_is_not_sent(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    # Review 8, L1: a tool enum's integer became "<US_SSN_1>", but the same number as `seed`
    # went upstream as is. An integer field cannot hold a placeholder: the seed is dropped.
    router = make_router(faulty_upstream.base_url, local_ok=0.05)
    number = 536221234
    enum = {"type": "object", "properties": {"x": {"type": "integer", "enum": [number]}}}
    tool = {"type": "function", "function": {"name": "f", "parameters": enum}}
    context = RequestContext(hints=Hints(sensitivity="mask"))
    request = conversation(("user", f"My SSN is {number}", {}), tools=(tool,), seed=number)
    routed = await router.complete(request, context)
    assert routed.tier == "cloud" and routed.served.masked
    sent = faulty_upstream.received[-1]
    assert str(number) not in json.dumps(sent)
    assert "seed" not in sent
    assert sent["tools"][0]["function"]["parameters"]["properties"]["x"]["enum"] == ["<US_SSN_1>"]  # type: ignore[index]
    # Any other seed is kept on a masked call, and the same seed on an unmasked one.
    routed = await router.complete(
        conversation(("user", f"My SSN is {number}", {}), seed=7), context
    )
    assert routed.served.masked and faulty_upstream.received[-1]["seed"] == 7
    forced = RequestContext(hints=Hints(force_tier="cloud"))
    await router.complete(conversation(("user", "Say hi.", {}), seed=number), forced)
    assert faulty_upstream.received[-1]["seed"] == number
    # Like a schema's integers, a seed is seen by the routing decision.
    decision = router.route(conversation(("user", "Say hi.", {}), seed=4111111111111111))
    assert decision.privacy_action == "local_only" and decision.tier == "device"


async def test_masked_names_stay_valid_identifiers(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    # OpenAI refuses "<" and ">" in a message's `name` and in function names ('^[^\s<|\\/>]+$',
    # '^[a-zA-Z0-9_-]+$'): there a placeholder goes without its brackets.
    router = make_router(faulty_upstream.base_url, local_ok=0.05)
    tool = {"type": "function", "function": {"name": "mail_Derek_Holt", "parameters": {}}}
    request = conversation(
        ("user", f"Write to Derek Holt at {EMAIL}.", {"name": "Derek_Holt"}),
        tools=(tool,),
    )
    routed = await router.complete(request)
    assert routed.tier == "cloud" and routed.decision.plan.kind == "masked"
    sent = faulty_upstream.received[-1]
    assert "Derek" not in json.dumps(sent) and EMAIL not in json.dumps(sent)
    name = sent["messages"][0]["name"]  # type: ignore[index]
    function = sent["tools"][0]["function"]["name"]  # type: ignore[index]
    assert re.fullmatch(r"[a-zA-Z0-9_-]+", name) and re.fullmatch(r"[a-zA-Z0-9_-]+", function)
    assert name.startswith("PERSON_") and function == f"mail_{name}"


def test_a_tool_call_to_a_masked_function_name_is_restored() -> None:
    session = MaskSession()
    session.mask("Derek_Holt", [Entity(type="PERSON", start=0, end=10, score=0.9)])
    call = {"id": "c", "type": "function", "function": {"name": "mail_PERSON_1", "arguments": "{}"}}
    restored = _restore_calls([call], session)
    assert restored is not None and restored[0]["function"]["name"] == "mail_Derek_Holt"
    # Only placeholders this session issued; a similar name of the tool's own stays.
    other = {**call, "function": {"name": "get_PERSON_2", "arguments": "{}"}}
    assert _restore_calls([other], session)[0]["function"]["name"] == "get_PERSON_2"  # type: ignore[index]


async def test_a_value_found_late_is_masked_in_earlier_messages_too(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    router = make_router(faulty_upstream.base_url, local_ok=0.05)
    request = conversation(
        ("user", "What happened on 1984-03-12?", {}),
        ("assistant", "Many things.", {}),
        ("user", "That is my date of birth: 1984-03-12. Plan a party.", {}),
    )
    routed = await router.complete(request)
    assert routed.tier == "cloud" and routed.decision.plan.kind == "masked"
    sent = json.dumps(faulty_upstream.received[-1])
    assert "1984-03-12" not in sent


async def test_a_value_only_recognisable_across_messages_is_masked(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    router = make_router(faulty_upstream.base_url, local_ok=0.05)
    request = conversation(("user", "my password is", {}), ("user", "hunter2hunter2", {}))
    # The owner lowers the label to "mask": the value must still be masked.
    context = RequestContext(hints=Hints(sensitivity="mask"))
    routed = await router.complete(request, context)
    assert routed.tier == "cloud"
    assert "hunter2hunter2" not in json.dumps(faulty_upstream.received[-1])


async def test_values_in_escaped_json_stay_on_the_device_or_are_masked_whole(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    # JSON inside a JSON string (a log line's body): the password reads plainly to an LLM.
    router = make_router(faulty_upstream.base_url, local_ok=0.05)
    before = len(faulty_upstream.received)
    body = json.dumps(json.dumps({"user": "bob", "password": "Hunter2!x9"}))
    routed = await router.complete(ask(f"Why did this login fail? {body}"))
    assert routed.tier == "device" and routed.decision.privacy_action == "local_only"
    assert len(faulty_upstream.received) == before
    # json.dumps' ASCII escapes in tool-call arguments: masked whole, still valid JSON.
    arguments = json.dumps({"to": "jürgen.müller@mailhost.net"})
    call = {
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "mail", "arguments": arguments}}
        ]
    }
    request = conversation(
        ("user", "Send it", {}), ("assistant", None, call), ("tool", "sent", {"tool_call_id": "c1"})
    )
    routed = await router.complete(request)
    assert routed.tier == "cloud" and routed.decision.plan.kind == "masked"
    [sent_call] = faulty_upstream.received[-1]["messages"][1]["tool_calls"]
    assert json.loads(sent_call["function"]["arguments"]) == {"to": "<EMAIL_1>"}


async def test_lone_surrogates_do_not_break_the_signals(make_router) -> None:  # type: ignore[no-untyped-def]
    router = make_router(None)
    decision = router.route(ask("hi \ud800 there, explain \udfff entropy"))
    assert decision.tier == "device"


async def test_a_stream_nobody_reads_frees_its_probe_and_is_logged(
    make_router,
    faulty_upstream: FaultyUpstream,  # type: ignore[no-untyped-def]
) -> None:
    # A gateway client can hang up between the routing and the first byte: the stream is
    # then closed without ever being iterated, and must still give back the probe slot.
    records: list[DecisionRecord] = []
    router = make_router(faulty_upstream.base_url, local_ok=0.05, records=records)
    breaker = router.breakers["cloud"]
    for _ in range(3):
        breaker.record_failure()
    breaker.reset_after_s = 0.0  # half-open at once: the next call is the probe
    stream = await router.stream(ask("Explain general relativity."))
    assert stream.tier == "cloud" and breaker.probing
    await stream.aclose()
    assert not breaker.probing and records[-1].error == "GeneratorExit"
    again = await router.stream(ask("Explain general relativity."))
    assert again.tier == "cloud" and "".join([d.text async for d in again])
    assert str(breaker.state) == "closed"
