"""One structured-identifier recognizer: a compiled pattern, where to search, and the check
that turns a match into a confidence (or rejects it).

Patterns start with what they consume (a digit, `@`, a keyword) and most run on the
lower-cased text, so `re` can skip ahead fast (see `matching.py`); the boundary a look-behind
would have checked is checked on the match instead. Number patterns search only around runs
of digits that hold enough digits (`NumberRun`); keyword-led patterns whose keywords start
with common letters are tried only where the prefilter finds a keyword (`opener`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from hybridroute.privacy import checksums
from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.matching import WORD_CHAR, cjk_pair, first_match, matches

# A check receives the match, the text and the lower-cased text (same offsets); it returns a
# confidence, or a confidence with a corrected (start, end) span, or None to reject the match.
Check = Callable[[re.Match[str], str, str], float | tuple[float, int, int] | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class PatternRecognizer:
    """One entity type found by one pattern; group `v` (if present) is the sensitive span."""

    entity: EntityType
    pattern: re.Pattern[str]
    score: float
    check: Check | None = None
    # Run only if one of these (lower-case) substrings occurs; empty means always run.
    triggers: tuple[str, ...] = ()
    needs_digit: bool = False
    # Only a text with a Han, kana or Hangul character can match. Such a recognizer is left
    # out of the prefilter: CJK characters fold to any letter there, so its folded pattern
    # would report windows in every text (and cost a callback each).
    needs_cjk: bool = False
    # The pattern is lower-case and runs on the lower-cased text.
    lowered: bool = False
    # A match may not start right after a character matching this (a look-behind's job).
    not_after: re.Pattern[str] | None = None
    # Search only around runs of digits and separators holding at least this many digits.
    min_digits: int = 0
    # For the prefilter, when the pattern's own approximation is too loose: a pattern that
    # matches wherever `pattern` has a match the check accepts (e.g. its look-ahead). Without
    # a gate match the recognizer is skipped; with one it searches the whole text.
    gate: re.Pattern[str] | None = None
    # The gate matches where every match of `pattern` starts (a leading keyword), so the
    # search runs only around gate matches, not on the whole text.
    gate_starts_match: bool = False
    # A pattern without look-arounds that matches (on the same subject) at every place a
    # match of `pattern` starts: its keywords. The prefilter reports where it occurs and
    # `pattern` is tried at those places only, so a keyword-led pattern whose first
    # characters are common letters is not tried at every position of the text (0.1-0.25 ms
    # per 1,000 tokens for the password keywords). Unlike a gate's windows, this finds
    # exactly the matches of a search of the whole text.
    opener: re.Pattern[str] | None = None
    # A keyed identifier's value alone (group `v`), for a table column headed by one of its
    # keywords (`id_columns.py`): there no keyword stands on the value's line.
    value: re.Pattern[str] | None = None
    # For a keyed identifier with a check digit: when the check rejects the first value
    # after the keyword (group `k`), later values starting this far from it are tried. (Not
    # for weak checks: "dl" in a base64 line, then a later token with four digits.)
    retry_reach: int = 0

    def find(
        self,
        text: str,
        lowered: str,
        has_digit: bool,
        numbers: Sequence[NumberRun] | None = None,
        windows: Sequence[tuple[int, int]] | None = None,
    ) -> Iterator[Entity]:
        """Entities in `text`. `windows` (from the prefilter): the only spans where a match
        can be, if known."""
        if self.needs_digit and not has_digit:
            return
        if self.triggers and not any(t in lowered for t in self.triggers):
            return
        subject = lowered if self.lowered else text
        for match in self._matches(subject, numbers, windows):
            verdict = self.score if self.check is None else self.check(match, text, lowered)
            if verdict is None and self.retry_reach:
                later = self._later_value(match, subject, text, lowered)
                if later is None:
                    continue
                match, verdict = later
            if verdict is None:
                continue
            if isinstance(verdict, tuple):
                score, start, end = verdict
            else:
                score, (start, end) = verdict, _value_span(match)
            if start < end:
                yield Entity(type=self.entity, start=start, end=end, score=score)

    def _later_value(
        self, match: re.Match[str], subject: str, text: str, lowered: str
    ) -> tuple[re.Match[str], float | tuple[float, int, int]] | None:
        """When the first value after a keyword fails its check ("NHS number (old 123 456
        7890, now 943 476 5919)"), the next values on the line within reach of the keyword,
        each checked; the first that passes."""
        if self.value is None or self.check is None:
            return None
        latest = match.end("k") + self.retry_reach  # where a value may start, at the latest
        line_end = subject.find("\n", match.end())
        line_end = len(subject) if line_end < 0 else line_end
        pos = match.start("v") + 1
        while (found := self.value.search(subject, pos, line_end)) is not None:
            if found.start() > latest:
                return None
            verdict = self.check(found, text, lowered)
            if verdict is not None:
                return found, verdict
            pos = found.start() + 1
        return None

    def _matches(
        self,
        subject: str,
        numbers: Sequence[NumberRun] | None,
        windows: Sequence[tuple[int, int]] | None,
    ) -> Iterator[re.Match[str]]:
        if self.opener is not None and windows is not None:
            yield from self._opened_matches(self.opener, subject, windows)
            return
        size = len(subject)
        if windows is None and self.min_digits:
            runs = numbers if numbers is not None else number_runs(subject)
            windows = tuple(_windows(runs, self.min_digits, size))
        if windows is None:
            yield from matches(self.pattern, subject, self.not_after)
            return
        last_end = 0
        for pos, endpos in windows:
            for match in matches(self.pattern, subject, self.not_after, max(pos, last_end), endpos):
                if match.end() > endpos - 2 and endpos < size:
                    # Cut short by the window: match again on the whole text. A look-ahead
                    # may have passed at the window's edge and fail on the whole text; then
                    # no match is left anywhere after this point.
                    whole = first_match(self.pattern, subject, self.not_after, match.start())
                    if whole is None:
                        return
                    last_end = whole.end()
                    yield whole
                    break
                last_end = match.end()
                yield match

    def _opened_matches(
        self, opener: re.Pattern[str], subject: str, windows: Sequence[tuple[int, int]]
    ) -> Iterator[re.Match[str]]:
        """`matches(self.pattern, subject, self.not_after)`, trying the pattern only where
        `opener` matches. `windows` (the prefilter's spans around the opener's matches)
        hold every place where it does, so a match of the pattern starts at one of them."""
        pattern, not_after = self.pattern.match, self.not_after
        pos = 0  # where the next match may start, as in `matches`
        for low, high in windows:
            at = max(low, pos)
            # The opener has no look-ahead, so `high` cuts off none of its matches that
            # end inside the window: each place where it matches is tried, in order.
            while (opening := opener.search(subject, at, high)) is not None:
                start = opening.start()
                at = start + 1
                match = pattern(subject, start)
                if match is None:
                    continue
                if (
                    not_after is not None
                    and start > 0
                    and not_after.match(subject, start - 1)
                    and not cjk_pair(subject, start)
                ):
                    run = re.compile(f"(?:{not_after.pattern})+").match(subject, start)
                    pos = (run.end() if run else start) + 1
                else:
                    pos = match.end() if match.end() > start else start + 1
                    yield match
                at = max(at, pos)


def _windows(runs: Sequence[NumberRun], min_digits: int, size: int) -> Iterator[tuple[int, int]]:
    """Merged spans around the number runs holding at least `min_digits` digits: 3 characters
    before each (a "+" or "("), 32 after (an extension, what a look-ahead reads)."""
    span: tuple[int, int] | None = None
    for run in runs:
        if run.digits < min_digits:
            continue
        start, end = max(0, run.start - 3), min(size, run.end + 32)
        if span is not None and start <= span[1]:
            span = (span[0], end)
            continue
        if span is not None:
            yield span
        span = (start, end)
    if span is not None:
        yield span


@dataclass(frozen=True, slots=True)
class NumberRun:
    """A run of digits and separators (`text[start:end]`) and how many digits it holds."""

    start: int
    end: int
    digits: int


def number_runs(text: str, at_least: int = 1) -> list[NumberRun]:
    """Every maximal run of digits, spaces and number punctuation that starts with a digit
    and holds at least `at_least` digits."""
    pattern = _NUMBER_RUN if at_least <= 1 else re.compile(_RUN_OF_DIGITS.format(at_least - 1))
    return [
        NumberRun(m.start(), m.end(), len(checksums.digits_of(m.group(0))))
        for m in pattern.finditer(text)
    ]


def _value_span(match: re.Match[str]) -> tuple[int, int]:
    """The span of the value group (`v`, or `q` for a quoted value), else the whole match."""
    for name in ("v", "q"):
        if name in match.re.groupindex and match.start(name) >= 0:
            return match.span(name)
    return match.span(0)


_NUMBER_RUN = re.compile(r"\d[\d .()/+:-]*")
# The same runs, only those with more than {} further digits (a run with fewer is skipped in C).
_RUN_OF_DIGITS = r"\d(?:[ .()/+:-]*\d){{{},}}[ .()/+:-]*"


def keyed_recognizer(
    entity: EntityType,
    keywords: str,
    value: str,
    *,
    score: float,
    check: Check | None = None,
    reach: int = 24,
    checksum: bool = False,
) -> PatternRecognizer:
    """A keyword-introduced identifier: a lower-case keyword then, on the same line and within
    `reach` characters, the value (group `v`); digits are required (every value has some).
    `checksum`: `check` verifies a check digit, so a later value within reach is tried when
    the first fails it."""
    keywords = identifier_spaces(keywords)
    return PatternRecognizer(
        entity=entity,
        # (Not a keyword opening a longer snake_case name: `patient_id_seq`, review 17.)
        pattern=re.compile(rf"(?P<k>{keywords})(?!_[a-z])[^\n]{{0,{reach}}}?(?P<v>{value})"),
        score=score,
        check=check,
        needs_digit=True,
        lowered=True,
        not_after=WORD_CHAR,
        opener=re.compile(f"(?:{keywords})"),
        value=re.compile(rf"(?P<v>{value})"),
        retry_reach=reach if checksum else 0,
    )


def identifier_spaces(keywords: str) -> str:
    """`keywords` with each `\\s` also taking `_`, so that a keyword matches as a JSON key or a
    field name too ("date_of_birth", "tarjeta_sanitaria", "member_id"): tool arguments and
    results write them so. (Not `-`: CLI flags such as `--subscriber-id` take UUIDs.)"""
    out: list[str] = []
    in_class = negated = escaped = False
    for index, char in enumerate(keywords):
        if escaped:
            escaped = False
            if char == "s" and not negated:  # (in `[^\\s]` it stays as it is)
                out[-1] = "\\s_" if in_class else "[\\s_]"
                continue
        elif char == "\\":
            escaped = True
        elif char == "[" and not in_class:
            in_class, negated = True, keywords.startswith("^", index + 1)
        elif char == "]" and in_class and keywords[index - 1] not in "[^":
            in_class = negated = False
        out.append(char)
    return "".join(out)
