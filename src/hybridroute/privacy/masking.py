"""Reversible masking: typed placeholders out, original values back in (streams and tool calls
too). The mapping lives in memory for one request or conversation only."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from hybridroute.privacy.entities import Entity
from hybridroute.privacy.folding import decode_escapes


class MaskSession:
    """Issues stable placeholders (`<PERSON_1>`: same value, same placeholder) and restores
    only the placeholders it issued. One per request or conversation."""

    def __init__(self) -> None:
        self._placeholder_of: dict[str, str] = {}
        self._value_of: dict[str, str] = {}
        self._counters: dict[str, int] = {}

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
        already masked, replaced by its placeholder."""
        spans = [(e.start, e.end, e.type) for e in entities if 0 <= e.start < e.end <= len(text)]
        for start, end, entity_type in sorted(spans):
            self._issue(text[start:end], entity_type, text)
        spans.extend(self._repeats(text))
        pieces: list[str] = []
        cursor = 0
        for start, end, entity_type in sorted(spans, key=lambda s: (s[0], -s[1])):
            if start < cursor:
                continue  # overlaps a span already replaced
            pieces.append(text[cursor:start])
            pieces.append(self._issue(text[start:end], entity_type, text))
            cursor = end
        pieces.append(text[cursor:])
        return "".join(pieces)

    def restore(self, text: str) -> str:
        """Put original values back for placeholders this session issued; leave others."""
        if not self._value_of or "<" not in text:
            return text
        return _PLACEHOLDER.sub(lambda m: self._value_of.get(m.group(0), m.group(0)), text)

    def restore_json_args(self, arguments: str) -> str:
        """Restore inside a tool-call `arguments` JSON string, escaping values for JSON."""
        if not self._value_of:
            return arguments

        def replace(match: re.Match[str]) -> str:
            value = self._value_of.get(f"<{match['name']}>")
            return match.group(0) if value is None else json.dumps(value, ensure_ascii=False)[1:-1]

        return _JSON_PLACEHOLDER.sub(replace, arguments)

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

    def holds_prefix(self, tail: str) -> bool:
        """`tail` (starting at `<`) could still grow into an issued placeholder."""
        return any(p.startswith(tail) for p in self._value_of)

    def _issue(self, value: str, entity_type: str, text: str) -> str:
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
            # A placeholder already present in the user's own text would not round-trip.
            if placeholder not in self._value_of and placeholder not in text:
                break
        self._counters[label] = number
        # A value read through JSON escapes ("J\\u00fcrgen") stands for its decoded text: that
        # is what goes back (JSON-escaped again in tool arguments), and either form is swept.
        decoded = decode_escapes(value)
        self._placeholder_of[value] = placeholder
        self._placeholder_of.setdefault(decoded, placeholder)
        self._value_of[placeholder] = decoded
        return placeholder

    def _repeats(self, text: str) -> list[tuple[int, int, str]]:
        """Spans of already-masked values that the detectors did not mark this time."""
        values = [v for v in self._placeholder_of if len(v) >= MIN_SWEEP_CHARS and v in text]
        found: list[tuple[int, int, str]] = []
        for value in sorted(values, key=len, reverse=True):
            # "_" is a boundary too: "mail_Derek_Holt" holds a masked "Derek_Holt".
            left = r"(?<![^\W_])" if value[0].isalnum() or value[0] == "_" else ""
            right = r"(?![^\W_])" if value[-1].isalnum() or value[-1] == "_" else ""
            for match in re.finditer(left + re.escape(value) + right, text):
                if _inside_escape(text, match.start()):
                    continue  # "\\\\u00c9mile": the value's "\\u00c9" starts at an escaped "\\"
                found.append((match.start(), match.end(), "ENTITY"))
        return found


def _inside_escape(text: str, at: int) -> bool:
    """An odd run of backslashes right before `at`: `text[at]` is the escaped character."""
    start = at
    while start > 0 and text[start - 1] == "\\":
        start -= 1
    return (at - start) % 2 == 1


class StreamRestorer:
    """Restores a streamed answer chunk by chunk, holding back any text that may still
    become a placeholder, so no partial placeholder is ever emitted."""

    def __init__(self, session: MaskSession) -> None:
        self._session = session
        self._pending = ""

    def __repr__(self) -> str:
        return f"StreamRestorer(pending_chars={len(self._pending)})"

    def feed(self, chunk: str) -> str:
        """Safe-to-emit restored text for everything received so far."""
        buffer = self._pending + chunk
        cut = self._hold_from(buffer)
        self._pending = buffer[cut:]
        return self._session.restore(buffer[:cut])

    def flush(self) -> str:
        """The rest, at the end of the stream (an unfinished placeholder is emitted as is)."""
        rest, self._pending = self._pending, ""
        return self._session.restore(rest)

    def _hold_from(self, buffer: str) -> int:
        # Placeholders contain a single "<", so only the last one can start an unfinished one.
        last = buffer.rfind("<")
        if last < 0 or ">" in buffer[last:]:
            return len(buffer)
        return last if self._session.holds_prefix(buffer[last:]) else len(buffer)


def bare_placeholders(value: str) -> str:
    """`<PERSON_1>` as `PERSON_1`, for fields that must be identifiers: OpenAI refuses "<" and
    ">" in a message's `name` and a function name."""
    return _PLACEHOLDER.sub(lambda m: m.group(0)[1:-1], value) if "<" in value else value


MIN_SWEEP_CHARS = 3
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")
_JSON_PLACEHOLDER = re.compile(r"(?:<|\\u003[cC])(?P<name>[A-Z][A-Z0-9_]*_\d+)(?:>|\\u003[eE])")
_BARE_PLACEHOLDER = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z0-9_]*_\d+(?!\d)")
_LABEL_CHARS = re.compile(r"[^A-Z0-9_]+")
