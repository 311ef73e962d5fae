"""Structured output on the embedded tier: an OpenAI JSON schema as a llama.cpp grammar, kept
within what llama.cpp can hold.

llama.cpp refuses a grammar with a repetition above its limit. It then prints the whole grammar,
the schema's enum values included, to stderr, and uses the failed grammar: the process dies.
Measured with llama-cpp-python 0.3.36: `maxLength` 1,200, `maxItems` 5,000 or a pattern's
`{1,1500}` crash the process; 1,000 works. llama-cpp-python's converter also expands large
bounds in Python first (`maxLength` 1e9 took 23.7 GB). So bounds are checked before the
conversion, and the repetitions of the grammar it produced after it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

MAX_REPETITION = 1000


def schema_problem(schema: Any) -> str | None:
    """Why llama.cpp could not hold `schema`'s grammar (names keywords, never values), or None."""
    stack = [schema]
    while stack:  # iterative: the request's nesting is bounded, but not this function's caller
        node = stack.pop()
        if isinstance(node, Mapping):
            for key in _BOUND_KEYS:
                value = node.get(key)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    if value > MAX_REPETITION:
                        return f"{key} above {MAX_REPETITION}"
            pattern = node.get("pattern")
            if isinstance(pattern, str) and _repeats_too_often(pattern):
                return f"a pattern repetition above {MAX_REPETITION}"
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def grammar_for(schema: Any) -> str:
    """The GBNF grammar for `schema`. A schema llama-cpp-python cannot convert gets plain JSON,
    as llama-cpp-python itself does; one llama.cpp could not hold raises ValueError."""
    from llama_cpp import llama_grammar

    problem = schema_problem(schema)
    if problem is not None:
        raise ValueError(problem)
    try:
        grammar = llama_grammar.json_schema_to_gbnf(json.dumps(schema))
    except Exception:  # unsupported schema features: JSON without the schema's constraints
        return str(llama_grammar.JSON_GBNF)
    if _repeats_too_often(grammar):
        raise ValueError(f"a repetition above {MAX_REPETITION}")
    return grammar


def _repeats_too_often(text: str) -> bool:
    return any(
        int(bound) > MAX_REPETITION
        for match in _QUANTIFIER.finditer(text)
        for bound in match.groups()
        if bound
    )


# Keywords whose value becomes a repetition count in the grammar.
_BOUND_KEYS = (
    "maxLength",
    "minLength",
    "maxItems",
    "minItems",
    "maxProperties",
    "minProperties",
    "maxContains",
    "minContains",
)
_QUANTIFIER = re.compile(r"\{\s*(\d{1,12})\s*(?:,\s*(\d{0,12})\s*)?\}")
