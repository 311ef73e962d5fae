"""One Hyperscan pass that tells which patterns can match a text, and where their matches end.

The recognizers and category rules are ~40 Python regular expressions; running each over a
1,000-token prompt costs 30-100 µs apiece, although on an ordinary prompt almost none of them
matches. Hyperscan (Intel's multi-pattern engine, C, SIMD) scans all of them at once in about
20 µs. It is used as a *filter* only: every pattern is compiled in Hyperscan's prefilter mode,
which matches a superset of what the pattern matches, and the Python pattern still decides.
So the result is the same with or without Hyperscan; only the time differs:

* a pattern that Hyperscan does not report cannot match, and is skipped;
* a pattern of bounded width `w` whose matches Hyperscan reports ending at `e` is searched in
  Python only within `[e - w, e]` (plus a margin for look-aheads and boundary checks).

Hyperscan reads bytes, so the text is first folded to ASCII one character for one byte
(offsets stay aligned): a non-ASCII character becomes an ASCII character that every class
containing the original also contains (a letter -> `a`, a digit -> `0`, a space -> ` `, `\u2019`
-> `'`, anything else -> DEL). Patterns are compiled without Unicode classes (compiling `\\w`
as Unicode costs seconds); the folding keeps the superset property. Where Hyperscan is not
installed (no wheel for the platform) or a pattern does not compile, the pattern simply runs
everywhere, as before.
"""

from __future__ import annotations

import codecs
import logging
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from hybridroute.multipattern import ThreadScratch, hyperscan

log = logging.getLogger(__name__)

# A switch for the whole process: HYBRIDROUTE_PREFILTER=0 (or `set_enabled(False)`) runs every
# pattern unfiltered, e.g. to rule the prefilter out when chasing a detection difference.
_switch = {"on": os.environ.get("HYBRIDROUTE_PREFILTER", "1") != "0"}


def set_enabled(on: bool) -> None:
    """Switch every prefilter in this process on or off (results are the same either way)."""
    _switch["on"] = on


# Python's sre caps an unbounded repeat's width here; anything this wide gets no window.
_UNBOUNDED = 1 << 16
# Past a reported end, Python may still read this far (look-aheads, boundary checks).
_AFTER = 32
_ESCAPES = {r"\u2019": "'", r"\u2018": "'"}
_OTHER_ESCAPE = re.compile(r"\\[uUx]|\\N\{")
_FOLD_ERRORS = "hybridroute-ascii-fold"
_NON_ASCII_RANGE = re.compile(r"[^\x00-\x7f]-|-[^\x00-\x7f]")


@dataclass(frozen=True, slots=True)
class FilterPattern:
    """A Python pattern to prefilter. `caseless`: the Python pattern runs on lower-cased text
    (Hyperscan then matches the original text case-insensitively). `windowed`: report where
    the matches are (for windows); otherwise only whether there is one."""

    pattern: re.Pattern[str]
    caseless: bool = False
    windowed: bool = False
    # An unbounded windowed pattern may report where its matches start. Start-of-match
    # tracking slows the whole database down, so only where it saves a costly Python scan.
    starts: bool = False
    # Not compiled: the pattern runs wherever its caller runs it (its folded form would
    # match nearly every text).
    unfiltered: bool = False


@dataclass(frozen=True, slots=True)
class Hits:
    """What one scan found: per pattern index, () = cannot match; None = may match anywhere
    (not filtered, not windowed, or unbounded); else the sorted spans its matches lie in."""

    windows: tuple[tuple[tuple[int, int], ...] | None, ...]

    def may_match(self, index: int) -> bool:
        return self.windows[index] != ()


class Prefilter:
    """Compiles the patterns once (lazily, ~0.2 s) and scans texts; thread-safe."""

    def __init__(self, patterns: Sequence[FilterPattern], *, enabled: bool = True) -> None:
        self.patterns = tuple(patterns)
        self.enabled = enabled and hyperscan is not None
        self._widths = tuple(_max_width(p.pattern) for p in self.patterns)
        self._lock = threading.Lock()
        self._database: hyperscan.Database | None = None
        self._filtered: frozenset[int] = frozenset()
        self._spanned: frozenset[int] = frozenset()
        self._scratch = ThreadScratch()

    def scan(self, text: str) -> Hits | None:
        """The hits in `text`, or None when nothing could be filtered (run every pattern)."""
        if not self.enabled or not _switch["on"]:
            return None
        database = self._compiled()
        if database is None:
            return None
        ends: dict[int, list[tuple[int, int]]] = {}

        def on_match(index: int, start: int, to: int, _flags: int, _context: object) -> None:
            found = ends.get(index)
            if found is None:
                ends[index] = [(start, to)]
            else:
                found.append((start, to))

        database.scan(
            _fold(text), match_event_handler=on_match, scratch=self._scratch.get(database)
        )
        size = len(text)
        windows: list[tuple[tuple[int, int], ...] | None] = []
        for index, width in enumerate(self._widths):
            if index not in self._filtered:
                windows.append(None)
            elif index not in ends:
                windows.append(())
            elif index in self._spanned:
                windows.append(_merge(ends[index], 0, size))
            elif not self.patterns[index].windowed or width >= _UNBOUNDED:
                windows.append(None)
            else:
                windows.append(_merge(ends[index], width, size))
        return Hits(tuple(windows))

    def _compiled(self) -> hyperscan.Database | None:
        with self._lock:
            if self._database is None and self.enabled:
                self._database, self._filtered, self._spanned = _compile(
                    self.patterns, self._widths
                )
                if self._database is None:
                    self.enabled = False
            return self._database


def _compile(
    patterns: Sequence[FilterPattern], widths: Sequence[int]
) -> tuple[hyperscan.Database | None, frozenset[int], frozenset[int]]:
    """A database of every pattern that translates and compiles; the rest run unfiltered.

    A windowed pattern of bounded width reports every match end (each report is a Python
    call). One of unbounded width is compiled exactly, if Hyperscan can, to report where
    each match starts too (`HS_FLAG_SOM_LEFTMOST`; not available in prefilter mode); else it
    only says whether it matches. Returns (database, filtered ids, ids with start offsets).
    """
    expressions: list[bytes] = []
    ids: list[int] = []
    flags: list[int] = []
    spanned: set[int] = set()
    for index, item in enumerate(patterns):
        expression = _translate(item.pattern.pattern)
        if expression is None or item.unfiltered or item.pattern.flags & re.VERBOSE:
            continue
        base = hyperscan.HS_FLAG_ALLOWEMPTY
        if item.caseless or item.pattern.flags & re.IGNORECASE:
            base |= hyperscan.HS_FLAG_CASELESS
        if item.pattern.flags & re.DOTALL:
            base |= hyperscan.HS_FLAG_DOTALL
        if item.pattern.flags & re.MULTILINE:
            base |= hyperscan.HS_FLAG_MULTILINE
        candidates = []
        if item.windowed and item.starts and widths[index] >= _UNBOUNDED:
            candidates.append(base | hyperscan.HS_FLAG_SOM_LEFTMOST)
        bounded = item.windowed and widths[index] < _UNBOUNDED
        single = 0 if bounded else hyperscan.HS_FLAG_SINGLEMATCH
        candidates.append(base | hyperscan.HS_FLAG_PREFILTER | single)
        for flag in candidates:
            try:  # one at a time first, so that one bad pattern does not disable the rest
                hyperscan.Database().compile(expressions=[expression], flags=[flag])
            except hyperscan.error as error:  # type: ignore[attr-defined]
                log.debug("prefilter: pattern %d, flags %#x: %s", index, flag, error)
                continue
            expressions.append(expression)
            ids.append(index)
            flags.append(flag)
            if flag & hyperscan.HS_FLAG_SOM_LEFTMOST:
                spanned.add(index)
            break
    if not expressions:
        return None, frozenset(), frozenset()
    database = hyperscan.Database()
    try:
        database.compile(expressions=expressions, ids=ids, flags=flags)
    except hyperscan.error as error:  # type: ignore[attr-defined]  # pragma: no cover
        log.warning("prefilter disabled: %s", error)
        return None, frozenset(), frozenset()
    return database, frozenset(ids), frozenset(spanned)


def _translate(source: str) -> bytes | None:
    """The pattern in Hyperscan's syntax, or None if it uses escapes the folding cannot keep
    a superset of (other `\\u` escapes, `\\x`, `\\N`) or Python-only syntax (`{,n}`).
    A literal non-ASCII character becomes its folded byte ("fianc[eé]e" -> "fianc[ea]e")."""
    for escape, ascii_char in _ESCAPES.items():
        source = source.replace(escape, ascii_char)
    if _OTHER_ESCAPE.search(source) or "{," in source:
        return None
    # Curly quotes fold to "'": a class that excludes "'" would rule out a value Python
    # matches ("O\u2019Brien1984"), so those classes let it through (a superset still).
    source = _NEGATED_CLASS.sub(_without_quote, source)
    if not source.isascii():
        if _NON_ASCII_RANGE.search(source):  # a folded range would not cover its members
            return None
        source = "".join(c if c.isascii() else _escaped(_fold_char(c)) for c in source)
    return source.encode("ascii")


def _without_quote(negated: re.Match[str]) -> str:
    """A negated class without "'" (`[^']` becomes any character)."""
    inner = negated[0][2:-1].replace("'", "")
    return f"[^{inner}]" if inner else r"[\s\S]"


_NEGATED_CLASS = re.compile(r"\[\^(?:\\.|[^\]\\])*\]")


def _escaped(char: str) -> str:
    return char if char.isalnum() else f"\\x{ord(char):02x}"


def _max_width(pattern: re.Pattern[str]) -> int:
    """The longest match the pattern can make, or `_UNBOUNDED`."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        return min(_UNBOUNDED, int(_parser.parse(pattern.pattern, pattern.flags).getwidth()[1]))
    except Exception:  # a private API: if it changes, fall back to no windows
        return _UNBOUNDED


def _merge(matches: list[tuple[int, int]], width: int, size: int) -> tuple[tuple[int, int], ...]:
    """Merged `[start - width - 1, end + _AFTER]` spans around reported (start, end) pairs
    (start is 0 where Hyperscan does not report it; `width` then bounds the match)."""
    spans: list[tuple[int, int]] = []
    for start, end in sorted(matches):
        low = max(0, (start if not width else end - width) - 1)
        high = min(size, end + _AFTER)
        if spans and low <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], high))
        else:
            spans.append((low, high))
    return tuple(spans)


def _fold(text: str) -> bytes:
    """`text` as ASCII bytes, one byte per character (see the module docstring)."""
    # Python's `\\s` matches these; Hyperscan's does not. Four `in` tests (memchr) instead of
    # a regex search, which reads every character in Python's `re` (~11 µs on a 1,000-token
    # prompt of ~5,000 characters; a request folds its text three times: patterns,
    # categories, personal cues).
    if any(separator in text for separator in _ASCII_SEPARATORS):
        text = text.translate(_SEPARATOR_TO_SPACE)
    return text.encode("ascii", _FOLD_ERRORS)


_ASCII_SEPARATORS = ("\x1c", "\x1d", "\x1e", "\x1f")
_SEPARATOR_TO_SPACE = {code: " " for code in range(0x1C, 0x20)}


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    for cased in (char.lower(), char.upper()):
        if len(cased) == 1 and cased.isascii():  # KELVIN SIGN -> "k", LONG S -> "s"
            return cased.lower()
    if char in "\u2018\u2019":
        return "'"
    if char.isdecimal() or char.isdigit():
        return "0"
    if char.isalnum():
        return "a"
    if char.isspace():
        return " "
    return "\x7f"


def _fold_errors(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):  # pragma: no cover - encode only
        raise error
    run = error.object[error.start : error.end]
    folded = _FOLDED_RUNS.get(run)
    if folded is None:  # runs repeat (a curly quote, "é"): one dict lookup instead of a join
        folded = "".join(map(_fold_char, run))
        # Only single characters and runs of symbols are kept: no prompt's words stay here.
        if len(run) == 1 or not any(c.isalnum() for c in run):
            if len(_FOLDED_RUNS) >= 4096:
                _FOLDED_RUNS.clear()
            _FOLDED_RUNS[run] = folded
    return folded, error.end


_FOLDED_RUNS: dict[str, str] = {}


codecs.register_error(_FOLD_ERRORS, _fold_errors)
