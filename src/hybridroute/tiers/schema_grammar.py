"""A JSON schema as GBNF: llama-cpp-python's converter, with its text handling replaced.

llama-cpp-python 0.3.36's `SchemaConverter` writes the schema's own text into the grammar
without escaping it for GBNF (measured: `tests/tiers/test_schema_grammar.py`):

* a `"` in a `const`, an `enum` value or a property name ends the grammar's string early
  (a `\\` is halved: the answer would not be the value, and not be valid JSON);
* a `pattern` is copied almost verbatim: `\\d`, `\\w`, `\\s`, `\\.`, `\\/` and most other
  regex escapes are escapes GBNF does not have, so `^\\d{3}$` cannot be parsed; a `]` or `}`
  outside a class makes the converter loop forever; `[b-a]` parses but matches nothing;
* a `$ref` back to a definition being converted names the rule by the raw definition name.

Every one of those grammars crashed the process or hung its worker. Here constants and
property names are written as JSON with every character escaped for GBNF, a pattern is
translated by `_Pattern` (the JSON text of the strings it matches), and `$ref`s name the rule
they were given. Whatever comes out is still checked by `gbnf.problem` before llama.cpp.
"""

from __future__ import annotations

import json
import re
from typing import Any

from llama_cpp import llama_grammar

from hybridroute.tiers import gbnf
from hybridroute.tiers.gbnf import Span, merge_spans, spans_intersect, spans_minus


def schema_grammar(schema: Any) -> str:
    """GBNF for the JSON values `schema` allows; raises on what the converter cannot convert."""
    converter = _Converter()
    schema = converter.resolve_refs(schema, "stdin")  # type: ignore[no-untyped-call]
    converter.visit(schema, "")
    return str(converter.format_grammar())  # type: ignore[no-untyped-call]


class Unsupported(ValueError):
    """A pattern feature without a grammar here (lookaround, backreferences, `\\b`, ...)."""


class _Converter(llama_grammar.SchemaConverter):
    """The converter with literals, patterns and `$ref` rule names llama.cpp can parse."""

    def __init__(self) -> None:
        super().__init__(  # type: ignore[no-untyped-call]
            prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False
        )
        self._ref_rules: dict[str, str] = {}
        self._root_named = False

    def visit(self, schema: Any, name: str) -> str:
        # A property named "" at the top level would get the rule name "root" (the converter
        # names a property's rule after its path), and the grammar would be that property's.
        if not name and self._root_named:
            name = "empty"
        self._root_named = True
        return str(super().visit(schema, name))  # type: ignore[no-untyped-call]

    def _format_literal(self, literal: str) -> str:
        # Called with JSON texts only (`json.dumps` of a constant, an enum value or a property
        # name, so \u-escaped): written again with the characters themselves, for the model.
        return gbnf.literal(json.dumps(json.loads(literal), ensure_ascii=False))

    def _visit_pattern(self, pattern: str, name: str) -> str:
        rule = f'"\\"" {_Pattern(pattern).grammar()} "\\"" space'
        return str(self._add_rule(name, rule))  # type: ignore[no-untyped-call]

    def _resolve_ref(self, ref: str) -> str:
        """The rule for a `$ref`, named (and claimed) before its schema is converted, so a
        reference back to it from inside names a rule that exists."""
        name = self._ref_rules.get(ref)
        if name is None:
            base = llama_grammar.INVALID_RULE_CHARS_RE.sub("-", ref.split("/")[-1]) or "ref"
            name, index = f"ref-{base}", 0
            while name in self._rules:
                name, index = f"ref-{base}{index}", index + 1
            self._ref_rules[ref] = name
            self._rules[name] = '""'  # claimed; replaced below
            self._rules[name] = self.visit(self._refs[ref], f"{name}-def")
        return name


class _Pattern:
    """An ECMAScript regex (JSON Schema's `pattern`), anchored by `^` and `$`, as GBNF for
    the JSON text of a string it matches, as `json.dumps` writes it. A character class never
    yields the control characters JSON writes as `\\u00XX` (only `\\b \\t \\n \\f \\r`): the
    grammar may allow fewer strings than the pattern, never more."""

    def __init__(self, pattern: str) -> None:
        body = pattern[1:-1]
        escaped_dollar = (len(body) - len(body.rstrip("\\"))) % 2 == 1
        if not (pattern.startswith("^") and pattern.endswith("$")) or escaped_dollar:
            raise Unsupported("a pattern without ^ and $")  # as the converter
        self.text = body
        self.pos = 0

    def grammar(self) -> str:
        rule, _ = self._alternation()
        if self.pos != len(self.text):
            raise Unsupported("an unbalanced )")
        return rule

    def _alternation(self) -> tuple[str, bool]:
        """(GBNF, whether it matches the empty string)."""
        branches = [self._sequence()]
        while self._peek() == "|":
            self.pos += 1
            branches.append(self._sequence())
        if len(branches) == 1:
            return branches[0]
        return "(" + " | ".join(b for b, _ in branches) + ")", any(e for _, e in branches)

    def _sequence(self) -> tuple[str, bool]:
        items: list[tuple[str, bool, str | None]] = []  # GBNF, empty?, literal text
        while self.pos < len(self.text) and self._peek() not in "|)":
            rule, empty, text = self._atom()
            rule, empty, repeated = self._quantified(rule, empty)
            items.append((rule, empty, None if repeated else text))
        parts: list[str] = []
        run = ""
        for rule, _, text in items:  # adjacent characters become one literal
            if text is not None:
                run += text
                continue
            if run:
                parts.append(_json_literal(run))
                run = ""
            parts.append(rule)
        if run:
            parts.append(_json_literal(run))
        return " ".join(parts), all(e for _, e, _ in items)

    def _atom(self) -> tuple[str, bool, str | None]:
        char = self.text[self.pos]
        self.pos += 1
        if char == "(":
            if self.text.startswith("?:", self.pos):
                self.pos += 2
            elif self._peek() == "?":
                raise Unsupported("a lookaround or named group")
            rule, empty = self._alternation()
            if self._peek() != ")":
                raise Unsupported("an unclosed (")
            self.pos += 1
            return f"({rule})", empty, None
        if char == "[":
            return _json_chars(self._class()), False, None
        if char == ".":
            return _json_chars(_DOT), False, None
        if char == "\\":
            ranges = self._escape(in_class=False)
            if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
                char = chr(ranges[0][0])
                return _json_literal(char), False, char
            return _json_chars(ranges), False, None
        if char in "^$":
            raise Unsupported("an anchor inside the pattern")
        if char in "*+?":
            raise Unsupported("a quantifier without an atom")
        # Anything else stands for itself, `]`, `}` and a `{` that opens no quantifier too.
        return _json_literal(char), False, char

    def _quantified(self, rule: str, empty: bool) -> tuple[str, bool, bool]:
        """The atom with the quantifier that follows it, if any; True when there was one."""
        bounds = self._bounds()
        if bounds is None:
            return rule, empty, False
        if self._peek() == "?":
            self.pos += 1  # lazy: the same strings
        if self._peek() in ("*", "+", "?", "{") and self._bounds(peek=True) is not None:
            raise Unsupported("a repeated quantifier")
        low, high = bounds
        if empty:
            # An atom that may match nothing, repeated: llama.cpp finds it left-recursive
            # (unbounded) or explodes its parse states (bounded); once is the same strings.
            if low <= 1 and high == 1:
                return rule, True, True
            raise Unsupported("a repeated group that may match nothing")
        suffix = {(0, None): "*", (1, None): "+", (0, 1): "?"}.get((low, high))
        if suffix is None:
            suffix = f"{{{low}}}" if low == high else f"{{{low},{'' if high is None else high}}}"
        return rule + suffix, low == 0, True

    def _bounds(self, *, peek: bool = False) -> tuple[int, int | None] | None:
        start = self.pos
        char = self._peek()
        result: tuple[int, int | None] | None = None
        if char in ("*", "+", "?"):
            self.pos += 1
            result = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        elif char == "{":
            match = _BRACES.match(self.text, self.pos)
            if match is not None:
                low, comma, high = match.groups()
                result = (int(low), int(high) if high else None if comma else int(low))
                self.pos = match.end()
                if result[1] is not None and result[1] < result[0]:
                    raise Unsupported("a quantifier whose maximum is below its minimum")
        if peek:
            self.pos = start
        return result

    def _class(self) -> list[Span]:
        negated = self._peek() == "^"
        self.pos += negated
        ranges: list[Span] = []
        while True:
            if self.pos >= len(self.text):
                raise Unsupported("an unclosed [")
            if self.text[self.pos] == "]":
                self.pos += 1
                break
            low = self._class_atom()
            if self._peek() == "-" and self.text[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.pos += 1
                high = self._class_atom()
                if len(low) != 1 or len(high) != 1 or low[0][0] != low[0][1]:
                    raise Unsupported("a range with a class escape")
                if high[0][0] != high[0][1] or high[0][0] < low[0][0]:
                    raise Unsupported("a range out of order")
                ranges.append((low[0][0], high[0][0]))
            else:
                ranges.extend(low)
        return spans_minus([(0, 0x10FFFF)], ranges) if negated else merge_spans(ranges)

    def _class_atom(self) -> list[Span]:
        char = self.text[self.pos]
        self.pos += 1
        return self._escape(in_class=True) if char == "\\" else [(ord(char), ord(char))]

    def _escape(self, *, in_class: bool) -> list[Span]:
        """The characters of the escape after a `\\`."""
        if self.pos >= len(self.text):
            raise Unsupported("a trailing \\")
        code = self.text[self.pos]
        self.pos += 1
        if code in _CLASS_ESCAPES:
            return list(_CLASS_ESCAPES[code])
        if code in _CONTROL_ESCAPES:
            return [(_CONTROL_ESCAPES[code],) * 2]
        if code == "b" and in_class:
            return [(8, 8)]
        if code in "xu":
            value = self._hex(code)
            return [(value, value)]
        if code == "0" and not self._peek().isdecimal():
            return [(0, 0)]
        if code.isalnum() or code == "_":
            raise Unsupported("an escape without a grammar here")  # \b, \1, \p{..}, \c, ...
        return [(ord(code), ord(code))]  # an escaped punctuation character is itself

    def _hex(self, code: str) -> int:
        if code == "u" and self._peek() == "{":
            end = self.text.find("}", self.pos)
            digits = self.text[self.pos + 1 : end] if end > 0 else ""
            self.pos = end + 1
        else:
            size = 2 if code == "x" else 4
            digits = self.text[self.pos : self.pos + size]
            self.pos += size
            if len(digits) != size:
                raise Unsupported("a short hexadecimal escape")
        if not digits or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise Unsupported("a malformed hexadecimal escape")
        value = int(digits, 16)
        if 0xD800 <= value <= 0xDBFF and self.text.startswith("\\u", self.pos):
            low = self.text[self.pos + 2 : self.pos + 6]
            if len(low) == 4 and all(c in "0123456789abcdefABCDEF" for c in low):
                if 0xDC00 <= int(low, 16) <= 0xDFFF:  # a surrogate pair: one character
                    self.pos += 6
                    return 0x10000 + ((value - 0xD800) << 10) + (int(low, 16) - 0xDC00)
        if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
            raise Unsupported("an escape that is no character")
        return value

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""


def _json_literal(text: str) -> str:
    """GBNF for the JSON text of `text`, without its quotes."""
    return gbnf.literal(json.dumps(text, ensure_ascii=False)[1:-1])


def _json_chars(ranges: list[Span]) -> str:
    """GBNF for one JSON-encoded character from `ranges`."""
    raw = spans_intersect(ranges, _RAW_IN_JSON)
    options = [gbnf.char_class(raw)] if raw else []
    options += [gbnf.literal(escape) for char, escape in _JSON_ESCAPES if _contains(ranges, char)]
    if not options:
        raise Unsupported("a character class that matches no character")
    return options[0] if len(options) == 1 else "(" + " | ".join(options) + ")"


def _contains(ranges: list[Span], char: int) -> bool:
    return any(lo <= char <= hi for lo, hi in ranges)


# Characters JSON writes as themselves inside a string, and the escapes written for others.
_RAW_IN_JSON = [(0x20, 0x21), (0x23, 0x5B), (0x5D, 0xD7FF), (0xE000, 0x10FFFF)]
_JSON_ESCAPES = (
    (0x22, '\\"'),
    (0x5C, "\\\\"),
    (0x08, "\\b"),
    (0x09, "\\t"),
    (0x0A, "\\n"),
    (0x0C, "\\f"),
    (0x0D, "\\r"),
)
_BRACES = re.compile(r"\{([0-9]+)(,?)([0-9]*)\}")
_LINE_ENDS = [(0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029)]
_DOT = spans_minus([(0, 0x10FFFF)], _LINE_ENDS)  # `.`: anything but a line end
_DIGIT = ((0x30, 0x39),)
_WORD = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_SPACE = (  # ECMAScript's \s: white space and line terminators
    (0x09, 0x0D),
    (0x20, 0x20),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
)
_CLASS_ESCAPES = {
    "d": _DIGIT,
    "w": _WORD,
    "s": _SPACE,
    "D": tuple(spans_minus([(0, 0x10FFFF)], list(_DIGIT))),
    "W": tuple(spans_minus([(0, 0x10FFFF)], list(_WORD))),
    "S": tuple(spans_minus([(0, 0x10FFFF)], list(_SPACE))),
}
_CONTROL_ESCAPES = {"t": 0x09, "n": 0x0A, "r": 0x0D, "f": 0x0C, "v": 0x0B}
