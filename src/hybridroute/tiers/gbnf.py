"""GBNF, llama.cpp's grammar format: writing literals and character classes, and checking a
grammar the way llama.cpp will read it, before llama.cpp sees it.

llama.cpp (llama-cpp-python 0.3.36) reads a grammar only when generation starts. One it
cannot parse, it prints whole to stderr (a schema's enum values included), then the process
dies on the grammar sampler it failed to build (SIGSEGV); one it parses but whose rules are
left-recursive dies the same way. A grammar with a character class that no character fits
aborts the process (SIGABRT) as soon as generation reaches it, printing the piece of the
answer it was given. So `problem()` replays llama.cpp's parser (`llama-grammar.cpp`: the
syntax, its escapes, the repetition limits, undefined rules, a `root` rule, left recursion)
and adds the check llama.cpp leaves to chance: every character class must match a character
a model can write. Its verdicts were compared with llama.cpp's own parser on the grammars in
`tests/tiers/test_gbnf.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

# Characters a model can write: any Unicode scalar value but NUL (llama.cpp ends a token's
# text at NUL, so a grammar that asks for one can never be satisfied).
Span = tuple[int, int]  # an inclusive range of code points
WRITABLE = ((0x01, 0xD7FF), (0xE000, 0x10FFFF))


def literal(text: str) -> str:
    """`text` as a GBNF string literal."""
    return '"' + "".join(_literal_char(c) for c in text) + '"'


def char_class(ranges: Iterable[tuple[int, int]]) -> str:
    """A GBNF character class of inclusive code point ranges, every character escaped so
    that none can end the class early or start a range."""
    return "[" + "".join(_range(lo, hi) for lo, hi in ranges) + "]"


def problem(grammar: str, root: str = "root") -> str | None:
    """Why llama.cpp would refuse `grammar` or die on it (never quoting it), or None."""
    refused, parser = _parse(grammar, root)
    if refused is not None:
        return refused
    terminals = (terminal for rule in parser.rules.values() for terminal in _terminals(rule))
    if not all(_writable(terminal) for terminal in terminals):
        return "a character class that matches no character"
    return None


def llama_cpp_refusal(grammar: str, root: str = "root") -> str | None:
    """What llama.cpp itself refuses when it builds the grammar's sampler: `problem` short of
    the character classes nothing matches (which llama.cpp accepts, and dies on later)."""
    return _parse(grammar, root)[0]


def _parse(grammar: str, root: str) -> tuple[str | None, _Parser]:
    parser = _Parser(grammar)
    if _UNREADABLE.search(grammar):
        return "a character llama.cpp cannot read", parser  # NUL ends its C string
    try:
        parser.parse()
    except _Refused as exc:
        return str(exc), parser
    if not parser.rules:
        return "no rules", parser
    if root not in parser.symbols:
        return f"no {root} rule", parser
    if _left_recursive(parser.rules):
        return "left recursion", parser
    return None, parser


class _Refused(Exception):
    """llama.cpp's parser would throw; the message names the construct, never the text."""


# Element kinds, as llama.cpp's `llama_gretype`.
END, ALT, RULE_REF, CHAR, CHAR_NOT, CHAR_RNG_UPPER, CHAR_ALT, CHAR_ANY = range(8)
Element = tuple[int, int]
UNBOUNDED = -1
MAX_REPETITION_THRESHOLD = 2000  # llama.cpp's own constant
_UINT64_MAX = 2**64 - 1
_PLAIN_RUN = re.compile(r'[^"\\]+')
_UNREADABLE = re.compile("[\x00\ud800-\udfff]")
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_SIMPLE_ESCAPES = {"t": 9, "r": 13, "n": 10, "\\": 92, '"': 34, "[": 91, "]": 93, "-": 45}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


@dataclass(slots=True)
class _Frame:
    """One `parse_alternates` call in progress (a rule body or a parenthesised group)."""

    name: str  # the rule that generated symbols are named after
    rule_id: int
    nested: bool
    elements: list[Element] = field(default_factory=list)
    last_sym_start: int = 0
    n_prev_rules: int = 1
    n_rules_before: int = 0  # symbols before the group (llama.cpp's repetition count)


class _Parser:
    """llama.cpp's `llama_grammar_parser::parse`, with an explicit stack for groups (a
    schema's `maxLength` nests them a thousand deep, past Python's recursion limit)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.symbols: dict[str, int] = {}
        self.rules: dict[int, list[Element]] = {}

    def parse(self) -> None:
        pos = self._space(0, newline_ok=True)
        while pos < len(self.text):
            pos = self._rule(pos)
        if any(symbol not in self.rules for symbol in self.symbols.values()):
            raise _Refused("a rule that is used but not defined")

    def _symbol(self, name: str) -> int:
        return self.symbols.setdefault(name, len(self.symbols))

    def _generate(self, base: str) -> int:
        symbol = len(self.symbols)
        self.symbols[f"{base}_{symbol}"] = symbol  # "_" is no word character: never a clash
        return symbol

    def _rule(self, pos: int) -> int:
        end = self._name(pos)
        name = self.text[pos:end]
        pos = self._space(end, newline_ok=False)
        if not self.text.startswith("::=", pos):
            raise _Refused("a rule without ::=")
        pos = self._alternates(self._space(pos + 3, newline_ok=True), name, self._symbol(name))
        if self.text.startswith("\r\n", pos):
            pos += 2
        elif pos < len(self.text) and self.text[pos] in "\r\n":
            pos += 1
        elif pos < len(self.text):
            raise _Refused("unexpected text after a rule")
        return self._space(pos, newline_ok=True)

    def _alternates(self, pos: int, name: str, rule_id: int) -> int:
        """A rule body: sequences separated by `|`, groups handled on `stack`."""
        text = self.text
        stack = [_Frame(name=name, rule_id=rule_id, nested=False)]
        while True:
            frame = stack[-1]
            pos = self._sequence(pos, frame)
            char = text[pos] if pos < len(text) else ""
            if char == "|":
                frame.elements.append((ALT, 0))
                pos = self._space(pos + 1, newline_ok=True)
                frame.last_sym_start, frame.n_prev_rules = len(frame.elements), 1
                continue
            if char == "(":
                pos = self._space(pos + 1, newline_ok=True)
                before = len(self.symbols)
                group = self._generate(frame.name)
                stack.append(_Frame(name=frame.name, rule_id=group, nested=True))
                stack[-1].n_rules_before = before
                continue
            frame.elements.append((END, 0))
            self.rules[frame.rule_id] = frame.elements
            if not frame.nested:
                return pos
            if char != ")":
                raise _Refused("an unclosed group")
            stack.pop()
            parent = stack[-1]
            parent.n_prev_rules = max(1, len(self.symbols) - frame.n_rules_before)
            parent.last_sym_start = len(parent.elements)
            parent.elements.append((RULE_REF, frame.rule_id))
            pos = self._space(pos + 1, newline_ok=parent.nested)

    def _sequence(self, pos: int, frame: _Frame) -> int:
        """Symbols up to a `|`, a `(`, a `)` or anything else that ends a sequence."""
        text, rule, nested = self.text, frame.elements, frame.nested
        while pos < len(text):
            char = text[pos]
            if char in '"[':
                frame.last_sym_start, frame.n_prev_rules = len(rule), 1
                pos = self._literal(pos, rule) if char == '"' else self._class(pos, rule)
                pos = self._space(pos, newline_ok=nested)
            elif char in _WORD:
                end = self._name(pos)
                frame.last_sym_start, frame.n_prev_rules = len(rule), 1
                rule.append((RULE_REF, self._symbol(text[pos:end])))
                pos = self._space(end, newline_ok=nested)
            elif char == ".":
                frame.last_sym_start, frame.n_prev_rules = len(rule), 1
                rule.append((CHAR_ANY, 0))
                pos = self._space(pos + 1, newline_ok=nested)
            elif char in "*+?":
                pos = self._space(pos + 1, newline_ok=nested)
                bounds = {"*": (0, UNBOUNDED), "+": (1, UNBOUNDED), "?": (0, 1)}[char]
                self._repeat(frame, *bounds)
            elif char == "{":
                pos = self._braces(pos, frame)
            elif char in "<!":
                raise _Refused("a token reference")  # never written by the converter
            else:
                break
        return pos

    def _literal(self, pos: int, rule: list[Element]) -> int:
        pos += 1
        while True:
            run = _PLAIN_RUN.match(self.text, pos)
            if run is not None:  # one element stands for the run: its characters are writable
                rule.append((CHAR, ord(self.text[pos])))
                pos = run.end()
            elif pos >= len(self.text):
                raise _Refused("an unterminated string")
            elif self.text[pos] == '"':
                return pos + 1
            else:
                value, pos = self._char(pos)
                rule.append((CHAR, value))

    def _class(self, pos: int, rule: list[Element]) -> int:
        text = self.text
        pos += 1
        kind = CHAR
        if pos < len(text) and text[pos] == "^":
            pos, kind = pos + 1, CHAR_NOT
        start = len(rule)
        while True:
            if pos >= len(text):
                raise _Refused("an unterminated character class")
            if text[pos] == "]":
                return pos + 1
            value, pos = self._char(pos)
            rule.append((CHAR_ALT if start < len(rule) else kind, value))
            if pos < len(text) and text[pos] == "-" and text[pos + 1 : pos + 2] != "]":
                if pos + 1 >= len(text):
                    raise _Refused("an unterminated character class")
                upper, pos = self._char(pos + 1)
                rule.append((CHAR_RNG_UPPER, upper))

    def _char(self, pos: int) -> tuple[int, int]:
        text = self.text
        if text[pos] != "\\":
            return ord(text[pos]), pos + 1
        code = text[pos + 1 : pos + 2]
        if code in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[code], pos + 2
        if code not in _HEX_ESCAPES:
            raise _Refused("an escape llama.cpp does not know")
        size = _HEX_ESCAPES[code]
        digits = text[pos + 2 : pos + 2 + size]
        if len(digits) != size or not set(digits) <= _HEX:
            raise _Refused("a short hexadecimal escape")
        return int(digits, 16), pos + 2 + size

    def _braces(self, pos: int, frame: _Frame) -> int:
        """`{m}`, `{m,}` or `{m,n}` after a symbol."""
        nested = frame.nested
        pos = self._space(pos + 1, newline_ok=nested)
        end = self._int(pos)
        low = high = _count(self.text[pos:end])
        pos = self._space(end, newline_ok=nested)
        if self.text.startswith(",", pos):
            pos = self._space(pos + 1, newline_ok=nested)
            high = UNBOUNDED
            if pos < len(self.text) and self.text[pos] in _DIGITS:
                end = self._int(pos)
                high = _count(self.text[pos:end])
                pos = self._space(end, newline_ok=nested)
        elif not self.text.startswith("}", pos):
            raise _Refused("a malformed repetition")
        if not self.text.startswith("}", pos):
            raise _Refused("a malformed repetition")
        pos = self._space(pos + 1, newline_ok=nested)
        if low > MAX_REPETITION_THRESHOLD:
            raise _Refused("a repetition above llama.cpp's limit")
        if high > MAX_REPETITION_THRESHOLD or high == _UINT64_MAX:
            high = UNBOUNDED  # as llama.cpp reads it
        if high != UNBOUNDED and high < low:
            # llama.cpp computes high - low unsigned: billions of rules, memory exhausted.
            raise _Refused("a repetition whose maximum is below its minimum")
        self._repeat(frame, low, high)
        return pos

    def _repeat(self, frame: _Frame, low: int, high: int) -> None:
        """llama.cpp's `handle_repetitions`: the same rules, and the same limit on them."""
        rule = frame.elements
        if frame.last_sym_start == len(rule):
            raise _Refused("a repetition of nothing")
        previous = rule[frame.last_sym_start :]
        unbounded = high == UNBOUNDED
        total = high if not unbounded and high > 0 else low if low > 0 else 1
        if frame.n_prev_rules * total > MAX_REPETITION_THRESHOLD:
            raise _Refused("a repetition above llama.cpp's limit")
        if low == 0:
            del rule[frame.last_sym_start :]
        else:
            rule.extend(previous * (low - 1))
        last = 0
        optional = 1 if unbounded else high - low
        for index in range(optional):
            symbol = self._generate(frame.name)
            repeated = list(previous)
            if index > 0 or unbounded:
                repeated.append((RULE_REF, symbol if unbounded else last))
            self.rules[symbol] = [*repeated, (ALT, 0), (END, 0)]
            last = symbol
        if optional > 0:
            rule.append((RULE_REF, last))
        frame.n_prev_rules *= total

    def _name(self, pos: int) -> int:
        return self._run(pos, _WORD, "a missing rule name")

    def _int(self, pos: int) -> int:
        return self._run(pos, _DIGITS, "a malformed repetition")

    def _run(self, pos: int, allowed: frozenset[str], missing: str) -> int:
        """The end of the run of `allowed` characters at `pos`; refused with `missing` when
        there is none."""
        end = pos
        while end < len(self.text) and self.text[end] in allowed:
            end += 1
        if end == pos:
            raise _Refused(missing)
        return end

    def _space(self, pos: int, *, newline_ok: bool) -> int:
        text = self.text
        blanks = " \t\r\n" if newline_ok else " \t"
        while pos < len(text):
            if text[pos] == "#":
                while pos < len(text) and text[pos] not in "\r\n":
                    pos += 1
            elif text[pos] in blanks:
                pos += 1
            else:
                break
        return pos


def _count(digits: str) -> int:
    value = int(digits)
    if value > _UINT64_MAX:  # std::stoull throws
        raise _Refused("a repetition above llama.cpp's limit")
    return value


def _left_recursive(rules: dict[int, list[Element]]) -> bool:
    """llama.cpp's `llama_grammar_detect_left_recursion` over every rule, without recursion.

    A rule that was explored to the end without finding a cycle is not explored again (llama.cpp
    explores it again; the answer is the same, since what a rule reaches first does not depend
    on where it is reached from).
    """
    visited: set[int] = set()
    may_be_empty = {
        index: any(
            kind in (END, ALT) and (i == 0 or rule[i - 1][0] in (END, ALT))
            for i, (kind, _) in enumerate(rule)
        )
        for index, rule in rules.items()
    }
    for start in rules:
        if start in visited:
            continue
        in_progress = {start}
        stack = [(start, _leftmost(rules[start], may_be_empty))]
        while stack:
            rule, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                stack.pop()
                in_progress.discard(rule)
                visited.add(rule)
            elif step in in_progress:
                return True
            elif step not in visited:
                in_progress.add(step)
                stack.append((step, _leftmost(rules[step], may_be_empty)))
    return False


def _leftmost(rule: Sequence[Element], may_be_empty: dict[int, bool]) -> Iterator[int]:
    """The rules each alternative of `rule` may start with: its first reference, and the next
    one for as long as the ones before may be empty."""
    first = True
    for kind, value in rule:
        if kind == RULE_REF and first:
            yield value
            first = may_be_empty[value]
        else:
            first = kind in (END, ALT)


def _terminals(rule: Sequence[Element]) -> Iterable[Sequence[Element]]:
    """Each character element of `rule` with the ranges and alternatives that follow it."""
    index = 0
    while index < len(rule):
        kind = rule[index][0]
        if kind not in (CHAR, CHAR_NOT, CHAR_ANY):
            index += 1
            continue
        end = index + 1
        while end < len(rule) and rule[end][0] in (CHAR_ALT, CHAR_RNG_UPPER):
            end += 1
        yield rule[index:end]
        index = end


def _writable(terminal: Sequence[Element]) -> bool:
    """Whether some character a model can write matches this terminal."""
    kind = terminal[0][0]
    if kind == CHAR_ANY:
        return True
    spans: list[Span] = []
    for i, (element, value) in enumerate(terminal):
        if element == CHAR_RNG_UPPER:
            continue
        upper = terminal[i + 1] if i + 1 < len(terminal) else None
        high = upper[1] if upper is not None and upper[0] == CHAR_RNG_UPPER else value
        if value <= high:
            spans.append((value, high))
    if kind == CHAR:
        return bool(spans_intersect(spans, list(WRITABLE)))
    return bool(spans_minus(list(WRITABLE), spans))


def merge_spans(ranges: list[Span]) -> list[Span]:
    """`ranges` sorted, with overlapping and adjacent ones joined."""
    merged: list[Span] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def spans_minus(ranges: list[Span], removed: list[Span]) -> list[Span]:
    """The code points of `ranges` that are in no span of `removed`."""
    result = []
    removed = merge_spans(removed)
    for lo, hi in merge_spans(ranges):
        for r_lo, r_hi in removed:
            if r_hi < lo or r_lo > hi:
                continue
            if r_lo > lo:
                result.append((lo, r_lo - 1))
            lo = r_hi + 1
        if lo <= hi:
            result.append((lo, hi))
    return result


def spans_intersect(ranges: list[Span], other: list[Span]) -> list[Span]:
    """The code points in both `ranges` and `other`."""
    return [
        (max(lo, o_lo), min(hi, o_hi))
        for lo, hi in merge_spans(ranges)
        for o_lo, o_hi in other
        if max(lo, o_lo) <= min(hi, o_hi)
    ]


def _literal_char(char: str) -> str:
    code = ord(char)
    if char in '"\\':
        return "\\" + char
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02X}"
    return char


def _range(lo: int, hi: int) -> str:
    return _class_char(lo) if lo == hi else f"{_class_char(lo)}-{_class_char(hi)}"


def _class_char(code: int) -> str:
    if code < 0x80 and chr(code).isalnum():
        return chr(code)
    if code < 0x100:
        return f"\\x{code:02X}"
    return f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}"
