"""The GBNF checker, against llama.cpp's own parser (llama-cpp-python 0.3.36)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from grammar_oracle import llama_cpp_accepts
from hypothesis import given
from hypothesis import strategies as st

from hybridroute.tiers import gbnf

# (grammar, what `problem` says: None, or a part of its message)
CASES: list[tuple[str, str | None]] = [
    ('root ::= "a"', None),
    ('root ::= "say \\"hi\\""', None),
    ('root ::= "a\\\\" "b"', None),
    ('root ::= "\\x41\\u00e9\\U0001F600é\\t\\n\\r\\[\\]\\-"', None),
    ('root ::= [^"\\\\] [a-z\\]\\-] [a-] [-a] []', None),
    ('root ::= ( "a"\n  | "b" )  # a comment\nb ::= "x"', None),
    ('root ::= "a"{2,1999} ("b" "c"){3,} "d"{0}', None),
    ('root ::= x{1000}\nx ::= "a"', None),
    ('root ::= (x x){1000}\nx ::= "a"', None),  # 2 rules x 1000: at the limit
    ("root ::= " + "(" * 999 + '"a"' + ")?" * 999, None),  # a `maxLength` of 999
    ('root ::= "a"\nroot ::= "b"', None),  # defined twice: the last one counts
    # The shapes llama-cpp-python's converter wrote for the review's crashing schemas.
    ('root ::= "\\"say \\\\"hi\\\\" 1\\""', "unexpected text after a rule"),
    ('root ::= "\\d{3}"', "an escape llama.cpp does not know"),
    ('root ::= "a\\.b"', "an escape llama.cpp does not know"),
    ("root ::= [\\w]", "an escape llama.cpp does not know"),
    ('root ::= "\\x4"', "a short hexadecimal escape"),
    ('root ::= "abc', "an unterminated string"),
    ("root ::= [abc", "an unterminated character class"),
    ('root ::= ("a"', "an unclosed group"),
    ('root ::= "a")', "unexpected text after a rule"),
    ("root ::= *", "a repetition of nothing"),
    ('root ::= "a"{2,', "a malformed repetition"),
    ('root ::= "a"{2001}', "a repetition above llama.cpp's limit"),
    ('root ::= (x x){1001}\nx ::= "a"', "a repetition above llama.cpp's limit"),
    ('root ::= "a"{99999999999999999999999}', "a repetition above llama.cpp's limit"),
    ("root ::= " + "(" * 1001 + '"a"' + ")?" * 1001, "a repetition above llama.cpp's limit"),
    ("root ::= b", "a rule that is used but not defined"),
    ("root ::= <[12]>", "a token reference"),  # stricter than llama.cpp: never written here
    ('root ::= "a"\nx', "a rule without ::="),
    ("# only a comment", "no rules"),
    ('a ::= "x"', "no root rule"),
    ('root ::= a\na ::= a "x"', "left recursion"),
    # Not to llama.cpp: only a literally empty alternative makes a rule "may be empty" there.
    ('root ::= ("a"?)*', None),
    ('root ::= "a"**', "left recursion"),
    ('root ::= b "x"\nb ::= "y"? root', "left recursion"),
    ('root ::= "a\x00"', "a character llama.cpp cannot read"),
    # Parsed by llama.cpp; a model could never write a character these accept, and the
    # process aborted (SIGABRT) as soon as generation reached one.
    ('root ::= "a" "\\x00"', "a character class that matches no character"),
    ('root ::= "a" "\\U00200000"', "a character class that matches no character"),
    ('root ::= "a" "\\uD800"', "a character class that matches no character"),
    ('root ::= "x" [b-a]', "a character class that matches no character"),
    ('root ::= "n" [^\\x00-\\U0010FFFF]', "a character class that matches no character"),
]
# llama.cpp computes the size of `{5,3}` unsigned: billions of rules (killed for its memory
# here); never sent to it.
UNBOUNDED = [('root ::= "a"{5,3}', "a repetition whose maximum is below its minimum")]


@pytest.mark.parametrize(("grammar", "expected"), CASES + UNBOUNDED)
def test_problem_names_what_llama_cpp_refuses(grammar: str, expected: str | None) -> None:
    found = gbnf.problem(grammar)
    assert found == expected if expected is None else found is not None and expected in found


def test_the_verdicts_are_llama_cpps_own(gguf_path: Path) -> None:
    # Parse-level verdicts (syntax, escapes, repetition limits, undefined rules, root, left
    # recursion) against llama.cpp building the grammar's sampler: the table, then random
    # grammars. ~10,000 random ones (three seeds) agreed while this was written.
    grammars = [g for g, _ in CASES if "\x00" not in g] + random_grammars(random.Random(0), 600)
    grammars = [g for g in grammars if gbnf.llama_cpp_refusal(g) != "a token reference"]
    verdicts = llama_cpp_accepts(gguf_path, grammars)
    disagree = [
        grammar
        for grammar, accepted in zip(grammars, verdicts, strict=True)
        if accepted != (gbnf.llama_cpp_refusal(grammar) is None)
    ]
    assert not disagree, disagree[:5]
    assert 20 < sum(verdicts) < len(grammars) - 20  # both verdicts well represented


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))
def test_any_text_is_a_literal_llama_cpp_can_read(text: str) -> None:
    assert gbnf.problem("root ::= " + gbnf.literal(text)) is None


def test_literals_and_classes_llama_cpp_reads_as_written(gguf_path: Path) -> None:
    every_ascii = "".join(chr(c) for c in range(1, 128))
    grammars = [
        "root ::= " + gbnf.literal(every_ascii + "é中😀\u2028\ufeff"),
        "root ::= "
        + gbnf.char_class([(1, 0x2F), (0x5B, 0x60), (0x80, 0xD7FF), (0xE000, 0x10FFFF)]),
        "root ::= " + gbnf.char_class([(ord(c), ord(c)) for c in '"\\]-^[']),
    ]
    assert all(gbnf.problem(g) is None for g in grammars)
    assert llama_cpp_accepts(gguf_path, grammars) == [True] * len(grammars)


def random_grammars(rng: random.Random, count: int) -> list[str]:
    """Grammars of rules a, b, c and root, some of them broken on purpose."""
    pieces = ['"a"', '"\\""', '"\\\\"', '"\\d"', '"é"', '""', "[a-z]", '[^"]', "[]", ".", "a", "b"]
    pieces += ["c", "root", "d", "(", ")", "|", "*", "+", "?", "{2}", "{0,3}", "{1,}", "{1000}"]
    pieces += ["{2001}", "\n", "\n  ", " # c\n", '"x', "\\", "{"]
    grammars = []
    for _ in range(count):
        rules = []
        for name in rng.sample(["root", "a", "b", "c"], rng.randint(1, 4)):
            body = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
            rules.append(f"{name} ::= {body}")
        grammars.append("\n".join(rules))
    return [g for g in grammars if gbnf.problem(g) != UNBOUNDED[0][1]]
