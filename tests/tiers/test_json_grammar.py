import uuid

import pytest

from hybridroute.tiers.grammar_memo import GrammarMemo
from hybridroute.tiers.json_grammar import MAX_REPETITION, grammar_for, schema_problem


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "string", "maxLength": 1001}, "maxLength above 1000"),
        ({"type": "array", "items": {"type": "string", "minLength": 10**9}}, "minLength above"),
        ({"properties": {"a": {"type": "array", "maxItems": 5000}}}, "maxItems above"),
        ({"anyOf": [{"type": "string", "pattern": "^a{1,1500}$"}]}, "pattern repetition"),
        ({"type": "object", "maxProperties": 2000.5}, "maxProperties above"),
    ],
)
def test_bounds_llama_cpp_cannot_hold_are_named(schema: object, problem: str) -> None:
    found = schema_problem(schema)
    assert found is not None and problem in found


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "maxLength": MAX_REPETITION},
        {"type": "string", "pattern": "^[a-z]{1,1000}$"},
        {"enum": ["maxLength", "{5000}"]},  # values are data, not keywords
        {"type": "boolean", "maxLength": True},
        None,
    ],
)
def test_schemas_within_the_limits_pass(schema: object) -> None:
    assert schema_problem(schema) is None


def test_grammar_for_a_schema_and_a_plain_json_fallback() -> None:
    grammar = grammar_for({"type": "object", "properties": {"ok": {"type": "boolean"}}})
    assert "ok" in grammar and "root" in grammar
    # A feature the converter rejects: plain JSON, as llama-cpp-python does itself.
    assert "root" in grammar_for({"$ref": "#/definitions/missing"})


def test_a_value_that_looks_like_a_repetition_is_only_a_value() -> None:
    # The grammar's own repetitions are counted, not text inside its strings: this enum was
    # refused as "a repetition above 1000" when the check read the grammar as plain text.
    grammar = grammar_for({"enum": ["{5000}", "a{1,1500}"]})
    assert '"\\"{5000}\\""' in grammar


def test_a_repeated_grammar_is_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from hybridroute.tiers import gbnf

    calls: list[str] = []
    check = gbnf.problem
    monkeypatch.setattr(gbnf, "problem", lambda g: calls.append(g) or check(g))
    schema = {"type": "object", "properties": {"k": {"enum": [uuid.uuid4().hex]}}}
    assert grammar_for(schema) == grammar_for(schema)
    assert len(calls) == 1


def test_the_memo_is_bounded_and_remembers_none() -> None:
    memo: GrammarMemo[str | None] = GrammarMemo(2)
    seen: list[str] = []

    def check(grammar: str) -> None:
        seen.append(grammar)

    for grammar in ("a", "a", "b", "c", "a"):
        assert memo.verdict(grammar, check) is None
    assert seen == ["a", "b", "c", "a"] and len(memo) == 2  # "a" pushed out by "b" and "c"
