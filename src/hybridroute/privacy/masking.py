"""Reversible masking: typed placeholders out, original values back in (streams and tool calls
too). The mapping lives in memory for one request or conversation only."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Iterator

from hybridroute.privacy.entities import Entity
from hybridroute.privacy.folding import decode_escapes, fold
from hybridroute.privacy.matching import CJK_CHAR, HANGUL


class MaskSession:
    """Issues stable placeholders (`<PERSON_1>`: same value, same placeholder) and restores
    only the placeholders it issued. One per request or conversation."""

    def __init__(self) -> None:
        self._placeholder_of: dict[str, str] = {}
        self._value_of: dict[str, str] = {}
        self._counters: dict[str, int] = {}
        # One sweep for all the spellings of a known value ("Marta Kowalski", "marta_kowalski").
        self._sweeps: dict[str, _Sweep] = {}
        self._forms: _Forms | None = None  # restore patterns for the placeholders issued so far

    def __repr__(self) -> str:  # never show values
        return f"MaskSession(placeholders={len(self._value_of)})"

    def __len__(self) -> int:
        return len(self._value_of)

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The placeholders issued so far (safe to log: they carry no values)."""
        return tuple(self._value_of)

    def mask(self, text: str, entities: Iterable[Entity]) -> str:
        """`text` with each entity span, and every other occurrence of a value this session
        already masked (in any letter case or separator spelling), replaced by a placeholder.
        Overlapping spans are masked as one, so no character of any of them stays in clear."""
        folded = text.casefold()
        spans = [(e.start, e.end, e.type) for e in entities if 0 <= e.start < e.end <= len(text)]
        for start, end, entity_type in sorted(spans):
            # Each value on its own too, so that it is swept wherever else it appears (a
            # detected name in its other orders too; not a swept spelling's, or they chain).
            self._issue(text[start:end], entity_type, folded, orders=True)
        repeats = self._repeats(text, folded)
        if repeats and spans:
            # A repeat on a detected value adds nothing (and the detected type wins a tie in
            # `_merged` anyway); one crossing detected values may merge two of them.
            exact = {(start, end) for start, end, _ in spans}
            repeats = [
                r for r in repeats if (r[0], r[1]) not in exact and not _straddles(r, spans, text)
            ]
        spans.extend(repeats)
        pieces: list[str] = []
        cursor = 0
        for start, end, entity_type in _merged(spans):
            pieces.append(text[cursor:start])
            pieces.append(self._issue(text[start:end], entity_type, folded))
            cursor = end
        pieces.append(text[cursor:])
        return "".join(pieces)

    def restore(self, text: str) -> str:
        """Put original values back for placeholders this session issued; leave others.

        Also the forms an upstream model alters them to: another letter case (`<person_1>`),
        blanks inside the brackets, escaped brackets (`\\<PERSON_1\\>`, `&lt;PERSON_1&gt;`)
        and no brackets (`PERSON_1`, with the identifier rules of `restore_identifier`)."""
        return self._restore_from(text, 0) if self._value_of else text

    def restore_json_args(self, arguments: str) -> str:
        """Restore inside a tool-call `arguments` JSON string, escaping values for JSON."""
        if not self._value_of or "_" not in arguments:
            return arguments

        def value(match: re.Match[str]) -> str | None:
            found = self._lookup(match)
            return None if found is None else json.dumps(found, ensure_ascii=False)[1:-1]

        return _substitute(self._restore_forms().json, arguments, 0, value)

    def restore_identifier(self, name: str) -> str:
        """Restore a name field that was sent with bare placeholders (`bare_placeholders`)."""
        if not self._value_of or "_" not in name:
            return name
        return _BARE_PLACEHOLDER.sub(
            lambda m: self._value_of.get(f"<{m.group(0)}>", m.group(0)), name
        )

    def stream_restorer(self) -> StreamRestorer:
        """A restorer for one streamed answer."""
        return StreamRestorer(self)

    def hold_from(self, text: str, start: int = 0) -> int:
        """Where the part of `text[start:]` that may still grow into a restorable placeholder
        begins (`len(text)` when none may): a stream emits text only up to there."""
        if not self._value_of:
            return len(text)
        forms = self._restore_forms()
        for candidate in _FORM_START.finditer(text, max(start, len(text) - forms.longest)):
            if forms.could_grow(text, candidate.start()):
                return candidate.start()
        return len(text)

    def _restore_from(self, text: str, start: int) -> str:
        """`text[start:]` restored; `text[:start]` is context only (a bare placeholder must
        not continue a word)."""
        if "_" not in text[start:]:  # every form holds "_<digits>"
            return text[start:]
        return _substitute(self._restore_forms().text, text, start, self._lookup)

    def _lookup(self, match: re.Match[str]) -> str | None:
        name = match["bare"] or match["name"].upper()
        value = self._value_of.get(f"<{name}>")
        if value is not None and (match["open"] or "").startswith("&"):
            return html.escape(value)  # the answer is HTML-escaped there: keep it so
        return value

    def _restore_forms(self) -> _Forms:
        if self._forms is None or self._forms.count != len(self._value_of):
            self._forms = _Forms([p[1:-1] for p in self._value_of])
        return self._forms

    def _issue(self, value: str, entity_type: str, folded: str, *, orders: bool = False) -> str:
        placeholder = self._placeholder_of.get(value)
        if placeholder is not None:
            return placeholder
        label = _LABEL_CHARS.sub("_", str(entity_type).upper()).strip("_") or "ENTITY"
        if not label[0].isalpha():
            label = f"E{label}"
        number = self._counters.get(label, 0)
        while True:
            number += 1
            placeholder = f"<{label}_{number}>"
            # A placeholder already in the user's own text, in any form `restore` reads
            # ("PERSON_1", "<person_1>"), would not round-trip.
            if placeholder not in self._value_of and placeholder[1:-1].lower() not in folded:
                break
        self._counters[label] = number
        # A value read through JSON escapes ("J\\u00fcrgen") stands for its decoded text: that
        # is what goes back (JSON-escaped again in tool arguments), and either form is swept.
        decoded = decode_escapes(value)
        self._placeholder_of[value] = placeholder
        self._placeholder_of.setdefault(decoded, placeholder)
        self._value_of[placeholder] = decoded
        # Also as the detection view reads it: "zed.quux%40examplecorp.io" is swept wherever
        # "zed.quux@examplecorp.io" (or "ZED.QUUX@…", "zed_quux_…") stands.
        for known in {value, decoded, fold(value).text}:
            self._add_sweep(known, label)
        # (Not past MAX_ORDER_SWEEPS sweeps: each name's orders are three more passes over
        # every text, and a pasted contact list of a thousand names took 3x as long.)
        if orders and label == "PERSON" and len(self._sweeps) < MAX_ORDER_SWEEPS:
            for other, run_together in _name_orders(decoded):
                self._add_sweep(other, label, covered=decoded, run_together=run_together)
        return placeholder

    def _add_sweep(
        self, value: str, label: str, covered: str = "", *, run_together: bool = True
    ) -> None:
        """`covered`: a spelling another sweep finds, so where this one's parts stand only
        inside it this one need not look (a name's other orders, in a request that writes it
        one way only, would otherwise compile their patterns on every request)."""
        # A CJK character counts twice: "王芳" is a whole name, where "Al" would be no value.
        if len(value) + len(CJK_CHAR.findall(value)) < MIN_SWEEP_CHARS:
            return
        tokens = _SEPARATORS.split(value)  # parts at even indexes, separator runs at odd ones
        parts = tokens[::2]
        if sum(map(len, parts)) < MIN_SWEEP_CHARS:  # else "a.b" would match "A_B"
            tokens = parts = [value]
        signature = "\0".join(p.casefold() for p in parts)
        if signature not in self._sweeps:
            self._sweeps[signature] = _Sweep(value, tokens, label, covered, run_together)

    def _repeats(self, text: str, folded: str) -> list[tuple[int, int, str]]:
        """Spans of already-masked values that the detectors did not mark this time, in any
        letter case, with any run of blanks, "_", ".", "-" or "@" (or those regex-escaped:
        "\\.") between their parts ("Marta Kowalski" is also "marta_kowalski")."""
        found: list[tuple[int, int, str]] = []
        for sweep in self._sweeps.values():
            for start, end in sweep.spans(text, folded):
                if _inside_escape(text, start):
                    continue  # "\\\\u00c9mile": the value's "\\u00c9" starts at an escaped "\\"
                found.append((start, end, sweep.label))
        return found


def _bounded(char: str, *, left: bool) -> bool:
    """Whether a value ending in `char` must not continue a word there. Chinese and Japanese
    run words together; Korean parts words with spaces but writes particles onto them
    ("이서준이"), so a Hangul value is bounded on its left only ("우리나라" holds no "나라")."""
    if not (char.isalnum() or char == "_"):
        return False
    if CJK_CHAR.match(char) is None:
        return True
    return left and _HANGUL.match(char) is not None


_HANGUL = re.compile(f"[\u1100-\u11ff\u3131-\u318e{HANGUL}]")


class _Sweep:
    """Finds one known value in `text` in any letter case and separator spelling, not inside
    a longer word. Cheap when only its exact spelling is there: `str.find`, no regex; the
    regex (~30 µs to compile per separator) is built only once another spelling shows up."""

    __slots__ = (
        "_covered",
        "_exact_ok",
        "_key",
        "_left",
        "_pattern",
        "_right",
        "_run_together",
        "_tokens",
        "label",
        "value",
    )

    def __init__(
        self,
        value: str,
        tokens: list[str],
        label: str,
        covered: str = "",
        run_together: bool = True,
    ) -> None:
        self.value, self.label, self._covered = value, label, covered
        # Parts may also be written with nothing between them ("MartaKowalski"); not an
        # initial and a surname ("P Rice" would be "price", review 17).
        self._run_together = run_together
        # "_" is a boundary too: "mail_Derek_Holt" holds a masked "Derek_Holt". A CJK end
        # needs none: those scripts run words together ("请帮王芳写", review 20).
        self._left = _bounded(value[0], left=True)
        self._right = _bounded(value[-1], left=False)
        folded_parts = [part.casefold() for part in tokens[::2]]
        self._key = max(folded_parts, key=len)  # the prefilter: its longest part, case-folded
        # With that part twice in the value, its count could not tell other spellings apart.
        self._exact_ok = folded_parts.count(self._key) == 1
        self._tokens = tokens  # the pattern is built only once another spelling shows up
        self._pattern: re.Pattern[str] | None = None

    def spans(self, text: str, folded: str) -> Iterator[tuple[int, int]]:
        if self._key not in folded:
            return
        # Another spelling is there when its longest part is still there without this one.
        rest = text.replace(self.value, "\0")
        if self._covered:
            rest = rest.replace(self._covered, "\0")
        if not self._exact_ok or self._key in rest.casefold():
            if self._pattern is None:
                self._pattern = self._compiled()
            for match in self._pattern.finditer(text):
                if self._same_value(match[0]):
                    yield match.span()
            return
        # Only the exact spelling is there: find it as the regex would, left to right.
        size = len(self.value)
        start = text.find(self.value)
        while start >= 0:
            end = start + size
            if (not self._left or start == 0 or not text[start - 1].isalnum()) and (
                not self._right or end == len(text) or not text[end].isalnum()
            ):
                yield start, end
                start = text.find(self.value, end)
            else:
                start = text.find(self.value, start + 1)

    def _compiled(self) -> re.Pattern[str]:
        tokens = self._tokens
        # (Or none: "MartaKowalski", "notify_martakowalski" name her too.)
        gap = f"(?:{_SEPARATOR})" + ("?" if self._run_together else "")
        # Only a run between two parts may be spelled otherwise; one at an end stays as it is.
        body = "".join(
            gap if i % 2 and tokens[i - 1] and tokens[i + 1] else re.escape(token)
            for i, token in enumerate(tokens)
        )
        left = r"(?<![^\W_])" if self._left else ""
        right = r"(?![^\W_])" if self._right else ""
        return re.compile(left + body + right, re.IGNORECASE)

    def _same_value(self, found: str) -> bool:
        """A spelling that names the value: joined like an identifier or a handle
        ("marta_kowalski", "zed.quux") or run together ("MartaKowalski"), in the value's own
        letter case, or in capitals ("MARTA KOWALSKI"). Not words of prose in another case:
        review 15 saw "Say grace" and "will young people" masked after "Grace" and "Will
        Young" were."""
        if found == self.value:
            return True
        # A sentence or list break the value does not have ends one name and starts another
        # ("…at the park. Grace said" after "Grace Park"), unless it follows an initial.
        for gap in _PROSE_BREAK.finditer(found):
            initial = gap.start() == 1 or not found[gap.start() - 2].isalpha()
            if gap.group() not in self.value and not initial:
                return False
        if found.isupper() or _IDENTIFIER_JOIN.search(found):
            return True
        if not any(c.isspace() for c in found) and any(c.isspace() for c in self.value):
            return True  # parts run together: an identifier ("martakowalski"), not prose
        letters = [c.isupper() for c in found if c.isalpha()]
        return letters == [c.isupper() for c in self.value if c.isalpha()]


def _name_orders(name: str) -> tuple[tuple[str, bool], ...]:
    """Other ways a person's name is written: surname first ("Kowalski Marta", "Kowalski,
    Marta"; registers and logins) and an initial before the surname ("M. Kowalski",
    "m.kowalski"; not run together: "P Rice" would be "price"). Only for two or three
    capitalised words; the sweep's own rules (identifier joins, the value's letter case,
    capitals, no sentence break) keep prose out."""
    parts = name.split()
    if not 2 <= len(parts) <= 3 or not all(_NAME_PART.fullmatch(p) for p in parts):
        return ()
    first, last = parts[0], parts[-1]
    # (spelling, whether its parts may run together)
    return ((f"{last} {first}", True), (f"{last}, {first}", True), (f"{first[0]} {last}", False))


def _merged(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Overlapping spans as one, in order, typed as the longest of them (the first if tied)."""
    merged: list[tuple[int, int, str]] = []
    longest = 0
    for start, end, entity_type in sorted(spans, key=lambda s: (s[0], -s[1])):
        if merged and start < merged[-1][1]:
            first, last, kept = merged[-1]
            if end - start > longest:
                kept, longest = entity_type, end - start
            merged[-1] = (first, max(last, end), kept)
        else:
            merged.append((start, end, entity_type))
            longest = end - start
    return merged


def _straddles(
    repeat: tuple[int, int, str], detected: list[tuple[int, int, str]], text: str
) -> bool:
    """Whether a swept spelling crosses the edge of a detected value and holds no letter or
    digit outside the detected values: "Kowalski, Marta" (one name's other order) inside
    "Marta Kowalski, Marta Nowak" would merge two people into one placeholder. It is left
    out then; it hides nothing the detected values do not."""
    start, end, _ = repeat
    crossing = False
    inside: list[tuple[int, int]] = []
    for first, last, _ in detected:
        if first < end and start < last:
            inside.append((max(first, start), min(last, end)))
            if not (first <= start and end <= last) and not (start <= first and last <= end):
                crossing = True
    if not crossing:
        return False
    at = start
    for first, last in sorted(inside):
        if any(c.isalnum() for c in text[at:first]):
            return False
        at = max(at, last)
    return not any(c.isalnum() for c in text[at:end])


def _inside_escape(text: str, at: int) -> bool:
    """An odd run of backslashes right before `at`: `text[at]` is the escaped character."""
    start = at
    while start > 0 and text[start - 1] == "\\":
        start -= 1
    return (at - start) % 2 == 1


def _substitute(
    pattern: re.Pattern[str],
    text: str,
    start: int,
    value: Callable[[re.Match[str]], str | None],
) -> str:
    """`text[start:]` with each match whose `value` is not None replaced by it (matches are
    found from `start`, so lookbehinds still see the text before it)."""
    pieces: list[str] = []
    cursor = start
    for match in pattern.finditer(text, start):
        found = value(match)
        if found is not None:
            pieces.append(text[cursor : match.start()])
            pieces.append(found)
            cursor = match.end()
    pieces.append(text[cursor:])
    return "".join(pieces)


class _Forms:
    """Restore patterns for one set of issued placeholder names (`PERSON_1`): only these are
    matched, so other text that merely looks like a placeholder is never read as a value."""

    def __init__(self, names: list[str]) -> None:
        self.count = len(names)
        names = sorted(names, key=len, reverse=True)  # "PERSON_12" before "PERSON_1"
        alternatives = "|".join(map(re.escape, names)) or "(?!)"
        inner = rf"[ \t]{{0,2}}(?P<name>(?i:{alternatives}))[ \t]{{0,2}}"
        bare = rf"|(?<![A-Za-z0-9])(?P<bare>{alternatives})(?!\d)"
        self.text = re.compile(rf"(?P<open><|\\<|(?i:&lt;)){inner}(?:\\?>|(?i:&gt;)){bare}")
        # In JSON a "<" may be written "\u003c"; a markdown "\<" would be an invalid escape.
        self.json = re.compile(
            rf"(?P<open><|\\u003[cC]|(?i:&lt;)){inner}(?:>|\\u003[eE]|(?i:&gt;)){bare}"
        )
        self._names = [n.lower() for n in names]
        self._bare_prefixes = {n[:k] for n in names for k in range(1, len(n) + 1)}
        self._folded_prefixes = {n.lower() for n in self._bare_prefixes}
        # The longest form: "&lt;", two blanks, the name, two blanks, "&gt;".
        self.longest = max(map(len, names), default=0) + 12

    def could_grow(self, text: str, at: int) -> bool:
        """Whether `text[at:]` is the unfinished start of a form `text` matches (or a bare name
        whose end is not known yet: "PERSON_1" may go on as "PERSON_12")."""
        char = text[at]
        if char in "<\\&":
            return self._bracket_could_grow(text[at:].lower())
        if "A" <= char <= "Z" and (at == 0 or not _ASCII_ALNUM.match(text[at - 1])):
            return text[at:] in self._bare_prefixes
        return False

    def _bracket_could_grow(self, tail: str) -> bool:
        for opener in _OPENERS:
            if opener.startswith(tail):
                return True  # "&l": may still become "&lt;"
            if tail.startswith(opener):
                break
        else:
            return False
        rest = tail[len(opener) :]
        inner = rest.lstrip(" \t")
        if len(rest) - len(inner) > 2:
            return False
        if not inner or inner in self._folded_prefixes:
            return True  # the name is unfinished, or whole and waiting for its closer
        for name in self._names:
            if inner.startswith(name):
                after = inner[len(name) :]
                closer = after.lstrip(" \t")
                if len(after) - len(closer) <= 2 and any(c.startswith(closer) for c in _CLOSERS):
                    return True  # "&g": may still become "&gt;" (a whole closer is never held)
        return False


class StreamRestorer:
    """Restores a streamed answer chunk by chunk, holding back any text that may still
    become a placeholder, so no partial placeholder is ever emitted."""

    def __init__(self, session: MaskSession) -> None:
        self._session = session
        self._pending = ""
        self._before = ""  # the last character emitted: a bare placeholder may not follow "x"

    def __repr__(self) -> str:
        return f"StreamRestorer(pending_chars={len(self._pending)})"

    def feed(self, chunk: str) -> str:
        """Safe-to-emit restored text for everything received so far."""
        text = self._before + self._pending + chunk
        start = len(self._before)
        cut = self._session.hold_from(text, start)
        self._pending = text[cut:]
        if cut == start:
            return ""
        self._before = text[cut - 1]
        return self._session._restore_from(text[:cut], start)

    def flush(self) -> str:
        """The rest, at the end of the stream (an unfinished placeholder is emitted as is)."""
        text, self._pending = self._before + self._pending, ""
        return self._session._restore_from(text, len(self._before))


def bare_placeholders(value: str) -> str:
    """`<PERSON_1>` as `PERSON_1`, for fields that must be identifiers: OpenAI refuses "<" and
    ">" in a message's `name`, a function name and a `json_schema` name."""
    return _PLACEHOLDER.sub(lambda m: m.group(0)[1:-1], value) if "<" in value else value


MIN_SWEEP_CHARS = 3
MAX_ORDER_SWEEPS = 120
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")
_BARE_PLACEHOLDER = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z0-9_]*_\d+(?!\d)")
_LABEL_CHARS = re.compile(r"[^A-Z0-9_]+")
_PROSE_BREAK = re.compile(r"[.,;:!?]\s+")
_NAME_PART = re.compile(r"[^\W\d_][^\W\d_'\u2019-]{1,}")  # "Kowalski", "O'Brien", "Brooke-Hart"
# Runs of these or blanks stand for one another between a known value's parts ("+", "/" of a
# path and the Unicode hyphens and dashes too, and a URL's "%20"); a regex or JSON escape may
# precede each ("zed\\.quux" in a schema `pattern`). Any of them, or a backslash, joins a
# spelling like an identifier. (Not ":", which also ends a speaker's name in prose.)
_JOINERS = r"_.@+/\-\u2010-\u2015"
_SEPARATOR = rf"(?:\\{{0,2}}[\s{_JOINERS}]|%20)+"
_SEPARATORS = re.compile(f"({_SEPARATOR})")
_IDENTIFIER_JOIN = re.compile(rf"[{_JOINERS}\\]|%20")
_OPENERS = ("<", "\\<", "&lt;")
_CLOSERS = (">", "\\>", "&gt;")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
_FORM_START = re.compile(r"[<\\&A-Z]")  # where a restorable form can begin
