"""Reading a pasted table by its header: a Markdown table, a CSV, TSV or semicolon export.

A column's values often stand with no keyword next to them (a password column, a column of
NHS numbers); the header line above says what they are. `header_at` finds the header line
holding a position, `column_values` the trimmed cells of chosen columns in the rows under it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from hybridroute.privacy.records import cell_separator


@dataclass(frozen=True, slots=True)
class Header:
    """A table's header line: where it ends, its separator and its cells (spans in `text`)."""

    start: int
    end: int
    separator: str
    cells: tuple[tuple[int, int], ...]

    def names(self, text: str) -> Iterator[tuple[int, str]]:
        """Each cell's index and its text without spaces, quotes or emphasis."""
        for index, (start, end) in enumerate(self.cells):
            yield index, text[start:end].strip(_TRIM + "*_#:")


def header_at(text: str, at: int, done: set[int]) -> Header | None:
    """The header line holding position `at`, unless its start is in `done` (then it was
    read already; it is added), or the line is not a header: no separator, fewer than two
    named cells, or a list in code (`'prop', 'pwd', 'quickcheck',`)."""
    start = text.rfind("\n", 0, at) + 1
    if start in done:
        return None
    done.add(start)
    end = _line_end(text, start)
    line = text[start:end]
    separator = cell_separator(line)
    if separator is None:
        return None
    cells = _cells(line, separator)
    if sum(1 for low, high in cells if line[low:high].strip()) < 2:
        return None  # one named cell is no header
    if separator != "|" and (line.rstrip().endswith(separator) or "'" in line):
        return None
    return Header(start, end, separator, tuple((start + low, start + high) for low, high in cells))


def column_values(
    text: str, header: Header, columns: frozenset[int]
) -> Iterator[tuple[int, int, int]]:
    """(column, start, end) of each non-empty value in `columns`, trimmed of spaces, quotes
    and backticks, in the rows of the header's width after it, up to a blank line or a line
    without the separator. A Markdown rule line is skipped; a row of another width is not
    one of this table's."""
    separator, width = header.separator, len(header.cells)
    pos = header.end
    while pos < len(text):
        row_start = pos + 1
        row_end = _line_end(text, row_start)
        row = text[row_start:row_end]
        pos = row_end
        if separator not in row or not row.strip():
            return
        if _MARKDOWN_RULE.fullmatch(row):
            continue
        cells = _cells(row, separator)
        if len(cells) != width:
            continue
        for column in columns:
            start, end = _value_span(row, *cells[column])
            if start < end:
                yield column, row_start + start, row_start + end


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _cells(line: str, separator: str) -> list[tuple[int, int]]:
    """Cell spans of `line`; a double-quoted cell may hold the separator (CSV)."""
    if '"' not in line:  # most rows: split at C speed
        spans, start = [], 0
        for part in line.split(separator):
            spans.append((start, start + len(part)))
            start += len(part) + 1
        return spans
    spans, start, quoted = [], 0, False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            spans.append((start, index))
            start = index + 1
    spans.append((start, len(line)))
    return spans


def _value_span(line: str, start: int, end: int) -> tuple[int, int]:
    """The cell's value without surrounding spaces, quotes or backticks."""
    while start < end and line[start] in _TRIM:
        start += 1
    while end > start and line[end - 1] in _TRIM:
        end -= 1
    return start, end


_TRIM = " \t\r\"'`"
# A Markdown table's rule line: "|---|:---:|".
_MARKDOWN_RULE = re.compile(r"[\s|:-]*-[\s|:-]*")
