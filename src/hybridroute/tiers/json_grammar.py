"""Structured output on the embedded tier: an OpenAI JSON schema as a llama.cpp grammar, kept
within what llama.cpp can hold.

llama.cpp refuses a grammar with a repetition above its limit. It then prints the whole grammar,
the schema's enum values included, to stderr, and uses the failed grammar: the process dies.
Measured with llama-cpp-python 0.3.36: `maxLength` 1,200, `maxItems` 5,000 or a pattern's
`{1,1500}` crash the process; 1,000 works. llama-cpp-python's converter also expands large
bounds in Python first (`maxLength` 1e9 took 23.7 GB), and a negative lower bound as well
(`minItems` -1e5 with `maxItems` 5: a 2 MB grammar; -1e9: some 20 GB). So bounds are checked
before the conversion (`schema_problem`), and the grammar the conversion produced, with every
other way llama.cpp could refuse it or die on it, after it (`gbnf.problem`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hybridroute.tiers import gbnf
from hybridroute.tiers.grammar_memo import GrammarMemo

MAX_REPETITION = 1000
_BELOW_ZERO = " below 0"
# `gbnf.problem`'s verdicts (0.3-10 ms each) on the newest grammars: a repeated schema is not
# checked again. The verdict depends on the grammar's text only.
_PROBLEMS: GrammarMemo[str | None] = GrammarMemo(256)


def schema_problem(schema: Any) -> str | None:
    """Why `schema`'s grammar would be too large to build or hold (names keywords, never
    values), or None."""
    stack = [schema]
    while stack:  # iterative: the request's nesting is bounded, but not this function's caller
        node = stack.pop()
        if isinstance(node, Mapping):
            for key in _BOUND_KEYS:
                value = node.get(key)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    if value > MAX_REPETITION:
                        return f"{key} above {MAX_REPETITION}"
                    if value < 0:
                        return f"{key}{_BELOW_ZERO}"
            pattern = node.get("pattern")
            if isinstance(pattern, str) and _repeats_too_often(pattern):
                return f"a pattern repetition above {MAX_REPETITION}"
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def is_malformed(problem: str) -> bool:
    """Whether a `schema_problem` is no tier's to solve: JSON Schema's counts are never
    negative. The others are limits of llama.cpp; another tier may follow that schema."""
    return problem.endswith(_BELOW_ZERO)


def grammar_for(schema: Any) -> str:
    """The GBNF grammar for `schema`. A schema the converter cannot convert gets plain JSON,
    as llama-cpp-python itself does; one whose grammar llama.cpp could not hold, or would
    crash on, raises ValueError (naming what, never the schema's text)."""
    problem = schema_problem(schema)
    if problem is not None:
        raise ValueError(problem)
    from llama_cpp import llama_grammar

    from hybridroute.tiers.schema_grammar import schema_grammar

    try:
        grammar = schema_grammar(schema)
    except Exception:  # unsupported schema features: JSON without the schema's constraints
        grammar = str(llama_grammar.JSON_GBNF)
    problem = _PROBLEMS.verdict(grammar, gbnf.problem)
    if problem is not None:
        raise ValueError(problem)
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
