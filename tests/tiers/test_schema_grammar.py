"""JSON schemas as grammars: the shapes llama-cpp-python's converter wrote unparsable GBNF for
(each of which crashed the gateway), patterns, and what the real model writes with them."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from grammar_oracle import llama_cpp_accepts
from llama_cpp import llama_grammar

from hybridroute.tiers import gbnf
from hybridroute.tiers.json_grammar import grammar_for, schema_problem
from hybridroute.tiers.llamacpp import LlamaCppTier
from hybridroute.types import Request

SSN = "536-22-1234"


def field(schema: dict[str, Any], name: str = "s") -> dict[str, Any]:
    return {"type": "object", "properties": {name: schema}, "required": [name]}


# Schemas whose grammar, as llama-cpp-python 0.3.36 converts them, llama.cpp cannot parse.
UNPARSABLE_BEFORE = {
    "enum with a quote": field({"enum": [f'say "hi" {SSN}', "x"]}),
    "const with a quote": field({"const": f'a"{SSN}'}),
    "property name with a quote": field({"type": "string"}, f'a"b {SSN}'),
    "optional property with a quote": {"type": "object", "properties": {f'a"{SSN}': {}}},
    "const object": {"const": {"k": f'a"{SSN}'}},
    "enum of lists": {"enum": [[f'a"{SSN}']]},
    "additionalProperties enum": {"type": "object", "additionalProperties": {"enum": [f'"{SSN}']}},
    "pattern \\d": field({"type": "string", "pattern": r"^\d{3}-\d{2}-\d{4}$"}),
    "pattern \\w in a class": field({"type": "string", "pattern": r"^[\w.+-]+@[\w-]+$"}),
    "pattern \\. and \\/": field({"type": "string", "pattern": r"^a\.b\/c$"}),
    "pattern \\s \\D \\S \\W": field({"type": "string", "pattern": r"^\s\D\S\W$"}),
    "recursive $ref with a #": {
        "type": "object",
        "properties": {"n": {"$ref": "#/$defs/a#b"}},
        "$defs": {"a#b": {"type": "object", "properties": {"next": {"$ref": "#/$defs/a#b"}}}},
    },
}
# ... and ones it converted to grammars that parse but do not say what the schema says.
WRONG_BEFORE = {
    "const with a backslash": field({"const": "a\\b"}),  # written as `a\b`: not even JSON
    "const with a newline": field({"const": "a\nb"}),  # a raw newline inside a JSON string
    "recursive $ref with a space": {
        "type": "object",
        "properties": {"n": {"$ref": "#/$defs/a b"}},
        "$defs": {"a b": {"type": "object", "properties": {"next": {"$ref": "#/$defs/a b"}}}},
    },
}


def test_the_converter_alone_writes_grammars_llama_cpp_refuses(gguf_path: Path) -> None:
    # The measurement behind `schema_grammar`: every one of these crashed the gateway.
    old = [llama_grammar.json_schema_to_gbnf(json.dumps(s)) for s in UNPARSABLE_BEFORE.values()]
    assert not any(llama_cpp_accepts(gguf_path, old))


@pytest.mark.parametrize("schema", [*UNPARSABLE_BEFORE.values(), *WRONG_BEFORE.values()])
def test_grammars_for_those_schemas_are_whole_and_llama_cpp_reads_them(
    schema: dict[str, Any], gguf_path: Path
) -> None:
    grammar = grammar_for(schema)
    assert grammar != llama_grammar.JSON_GBNF, "the schema was dropped for plain JSON"
    assert gbnf.problem(grammar) is None
    assert llama_cpp_accepts(gguf_path, [grammar]) == [True]


def test_values_are_written_as_json_text_in_the_grammar() -> None:
    value = 'say "hi" \\ \n é 😀'
    grammar = grammar_for(field({"enum": [value]}, name='k"é'))
    assert gbnf.literal(json.dumps(value, ensure_ascii=False)) in grammar
    assert gbnf.literal(json.dumps('k"é', ensure_ascii=False)) in grammar


PATTERNS_KEPT = [
    r"^\d{3}-\d{2}-\d{4}$",
    r"^[^\"\\]{1,5}$",
    r"^(?:ab|c)+\.\*$",
    r"^[\u00e9-\u00fc]+\u{1F600}\ud83d\ude00$",
    r"^a]b}c{d$",  # `]`, `}` and a lone `{` stand for themselves: the converter looped forever
    r"^.{0,3}[\b\t\n\r\f\v]?$",
    r"^a*?b+?c??$",
    r"^$",
]
PATTERNS_DROPPED = [  # plain JSON instead: not translated (as the converter did for some)
    r"abc",  # not anchored
    r"^a\$",  # the $ is escaped: not anchored
    r"^(?=a)a$",  # lookahead
    r"^(a)\1$",  # backreference
    r"^\bword$",  # word boundary
    r"^\p{L}$",  # Unicode property
    r"^[b-a]$",  # a range out of order: llama.cpp parsed it, and aborted the process on it
    r"^[\x01]$",  # nothing JSON writes without a \u escape
    r"^(a?)*$",  # a repeated group that may match nothing
    r"^a**$",
    r"^(a$",
    r"^a)$",
    r"^[a$",
]


@pytest.mark.parametrize(
    ("pattern", "kept"), [(p, True) for p in PATTERNS_KEPT] + [(p, False) for p in PATTERNS_DROPPED]
)
def test_patterns_are_translated_or_dropped_never_stuck(pattern: str, kept: bool) -> None:
    grammars: list[str] = []
    worker = threading.Thread(
        target=lambda: grammars.append(grammar_for(field({"type": "string", "pattern": pattern}))),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=10)
    assert grammars, "the conversion did not finish"
    assert (grammars[0] != llama_grammar.JSON_GBNF) == kept
    assert gbnf.problem(grammars[0]) is None


def test_a_definition_that_is_only_itself_is_refused() -> None:
    schema = {
        "type": "object",
        "properties": {"x": {"$ref": "#/$defs/a"}},
        "$defs": {"a": {"$ref": "#/$defs/a"}},
    }
    with pytest.raises(ValueError, match=r"^left recursion$"):
        grammar_for(schema)


@pytest.mark.parametrize("key", ["minItems", "minLength", "minProperties"])
def test_negative_bounds_are_refused_before_the_converter_expands_them(key: str) -> None:
    # minItems -1e5 with maxItems 5 made a 2 MB grammar; -1e9 would take some 20 GB.
    schema = {"type": "array", "items": {"type": "string"}, key: -(10**9), "maxItems": 5}
    assert schema_problem(schema) == f"{key} below 0"
    with pytest.raises(ValueError, match=f"{key} below 0"):
        grammar_for(schema)


GENERATED = [
    (field({"enum": [f'say "hi" {SSN}']}), lambda v: v["s"] == f'say "hi" {SSN}'),
    (field({"const": 'a\\b"c\n\t\x01é😀'}), lambda v: v["s"] == 'a\\b"c\n\t\x01é😀'),
    (field({"type": "integer"}, 'a"b\\c é'), lambda v: isinstance(v['a"b\\c é'], int)),
    (
        field({"type": "string", "pattern": r"^\d{3}-\d{2}-\d{4}$"}),
        lambda v: re.fullmatch(r"\d{3}-\d{2}-\d{4}", v["s"], re.ASCII),
    ),
    (
        field({"type": "string", "pattern": r'^"[^"\\]{1,5}"\\$'}),
        lambda v: re.fullmatch(r'"[^"\\]{1,5}"\\', v["s"]),
    ),
]


@pytest.mark.parametrize(("schema", "check"), GENERATED)
async def test_the_model_writes_json_the_schema_allows(
    device_tier: LlamaCppTier, schema: dict[str, Any], check: Any
) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    request = Request.from_prompt(
        "Answer in JSON.", response_format=fmt, temperature=0.0, max_tokens=96, seed=1
    )
    completion = await device_tier.complete(request)
    assert completion.finish_reason == "stop", completion.text
    assert check(json.loads(completion.text)), completion.text
