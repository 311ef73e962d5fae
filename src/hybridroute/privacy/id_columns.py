"""Identifiers in a table column headed by their keyword: a CSV export with an `nhs_number`
column, a Markdown table of patients with a "Medicare" column, a roster with "BSN" or
"date of birth".

A keyed identifier (`keyed_recognizer`) counts only within reach after its keyword on the
same line. In a table the keyword is the column's header and the values stand in the rows
below, out of reach, so they went out in clear. Here a header cell naming a keyed identifier
makes each cell of its column a candidate, and the recognizer's own value pattern and check
decide, exactly as they do after the keyword in a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from hybridroute.privacy.entities import Entity
from hybridroute.privacy.pattern_recognizer import PatternRecognizer
from hybridroute.privacy.records import cell_separator
from hybridroute.privacy.tables import Header, column_values, header_at


@dataclass(frozen=True, slots=True)
class _Column:
    """A keyed recognizer and its keywords as a header cell writes them."""

    heading: re.Pattern[str]
    recognizer: PatternRecognizer


class IdColumns:
    """Reads the identifier columns of the tables in a text for the keyed recognizers given."""

    def __init__(self, recognizers: Sequence[PatternRecognizer]) -> None:
        headings = [
            (as_heading(r.opener.pattern), r)
            for r in recognizers
            if r.value is not None and r.opener is not None
        ]
        self._columns = tuple(
            _Column(re.compile(rf"(?<![a-z0-9])(?:{heading})(?![a-z])"), r)
            for heading, r in headings
        )
        union = "|".join(f"(?:{heading})" for heading, _ in headings)
        # Any of the keywords as a word: for the prefilter (bounded, for windows), and on a
        # header cell before each recognizer's own. (With a cell's start in front, "a
        # separator and up to 24 characters", Hyperscan's approximation of the union matched
        # nearly everywhere in prose: 5x the scan's time.)
        self.gate = re.compile(rf"(?<![a-z0-9])(?:{union})(?![a-z])")

    def find(
        self, text: str, lowered: str, windows: Sequence[tuple[int, int]] | None = None
    ) -> list[Entity]:
        """The identifiers in the columns of the tables whose header line has a cell naming
        one. `lowered`: `text` lower-cased, same offsets; `windows` (from a prefilter of
        `gate`): the only spans where such a cell can be, else anywhere."""
        if "\n" not in text or not self._columns:
            return []
        if windows is None:  # no prefilter: where the keywords are
            windows = [m.span() for m in self.gate.finditer(lowered)]
        found: list[Entity] = []
        done: set[int] = set()
        # Each line a window touches is tried as a header once (a window holds a keyword;
        # which cell holds it, `_named_by` finds). Searching the windows for the keywords
        # in Python first cost more (0.07 ms per 1,000 tokens of PII-dense text) than this.
        for low, high in windows:
            start = text.rfind("\n", 0, low) + 1
            while start <= high:
                end = text.find("\n", start)
                if end < 0:
                    break  # the last line: no row under it
                if start not in done and _may_be_header(text, start, end):
                    header = header_at(text, start, done)
                    if header is not None:
                        found.extend(self._in_table(text, lowered, header))
                start = end + 1
        return found

    def _in_table(self, text: str, lowered: str, header: Header) -> Iterator[Entity]:
        by_column = {
            index: columns
            for index, name in header.names(lowered)
            if len(name) <= _HEADER_CHARS and (columns := self._named_by(name))
        }
        if not by_column:
            return
        for index, start, end in column_values(text, header, frozenset(by_column)):
            for column in by_column[index]:
                entity = _checked(column, text, lowered, start, end)
                if entity is not None:
                    yield entity

    def _named_by(self, name: str) -> tuple[_Column, ...]:
        """The identifiers a header cell names (a "Medicare" column may hold the Australian
        card number, an MBI or some other member number)."""
        if self.gate.search(name) is None:
            return ()
        return tuple(c for c in self._columns if c.heading.search(name) is not None)


def _checked(column: _Column, text: str, lowered: str, start: int, end: int) -> Entity | None:
    """The cell's value as the recognizer's entity, if its value pattern and check accept
    the whole cell."""
    recognizer = column.recognizer
    cell, cell_lowered = text[start:end], lowered[start:end]
    if recognizer.needs_digit and not any(c.isdigit() for c in cell):
        return None
    value = recognizer.value
    match = None if value is None else value.fullmatch(cell_lowered)
    if match is None:
        return None
    verdict = (
        recognizer.score
        if recognizer.check is None
        else recognizer.check(match, cell, cell_lowered)
    )
    if verdict is None:
        return None
    if isinstance(verdict, tuple):
        score, low, high = verdict
    else:
        score, (low, high) = verdict, match.span("v")
    return Entity(type=recognizer.entity, start=start + low, end=start + high, score=score)


def as_heading(keywords: str) -> str:
    """`keywords` (a keyed recognizer's, for text) as a header cell may write them: words
    joined by an underscore, a dot or a hyphen, or by nothing (`nhs_number`, `NHSNumber`,
    `date.of.birth`), with each gap bounded."""
    return _GAP.sub(lambda m: _GAP_AS_HEADING[m.group(1) or ""], keywords)


def _may_be_header(text: str, start: int, end: int) -> bool:
    """The line `text[start:end]` may be a table's header: it has a cell separator, and the
    next line as many (most lines of prose fail here, cheaply)."""
    line = text[start:end]
    separator = cell_separator(line)
    if separator is None:
        return False
    following = text.find("\n", end + 1)
    row = text[end + 1 : len(text) if following < 0 else following]
    # (A quoted CSV cell may hold the separator: `column_values` counts such rows right.)
    return separator in row and (row.count(separator) == line.count(separator) or '"' in row)


# A whole header cell, at most ("Patient NHS number (10 digits)").
_HEADER_CHARS = 48
# A gap between keywords (not one inside a character class, which stays as it is), also as
# `identifier_spaces` writes it (`[\s_]`).
_GAP = re.compile(r"(?:(?<!\[)\\s|\[\\s_\])(\*|\+|\?|\{1,3\})?")
_GAP_AS_HEADING = {
    "": r"[\s_.-]",
    "?": r"[\s_.-]?",
    "*": r"[\s_.-]{0,3}",
    "+": r"[\s_.-]{1,3}",
    "{1,3}": r"[\s_.-]{1,3}",
}
