"""Passwords in a table's password column: a Markdown table, a CSV, TSV or semicolon export
whose header has a cell "password" ("Passwort", "senha", "pw"...). An office wiki's device
list or a pasted credentials export holds one per row, with no keyword next to the value.

Only values that look like passwords on their own count (`checks.looks_like_password`:
letters and a digit, no placeholder, no technical token), so a column documenting a policy
("required", "min. 8 characters") or masked values ("****") gives none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hybridroute.privacy import identifier_checks as checks
from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.records import cell_separator


def passwords_in_tables(
    text: str, lowered: str, windows: Sequence[tuple[int, int]] | None = None
) -> list[Entity]:
    """PASSWORD entities for the cells under each password header cell. `lowered` is
    `text` lower-cased with the same offsets; `windows` (from a prefilter of `HEADER_CELL`):
    the only spans where a header cell can end, else anywhere."""
    if "\n" not in text:
        return []
    found: list[Entity] = []
    done_headers: set[int] = set()
    for low, high in windows if windows is not None else ((0, len(lowered)),):
        for keyword in HEADER_CELL.finditer(lowered, low, high):
            found.extend(_table_under(text, keyword.end(), done_headers))
    return found


def _table_under(text: str, at: int, done_headers: set[int]) -> list[Entity]:
    """The passwords under the header line holding `at`, unless it was read already."""
    header_start = text.rfind("\n", 0, at) + 1
    if header_start in done_headers:
        return []
    done_headers.add(header_start)
    header_end = _line_end(text, header_start)
    header = text[header_start:header_end]
    separator = cell_separator(header)
    if separator is None:
        return []
    cells = _cells(header, separator)
    if sum(1 for start, end in cells if header[start:end].strip()) < 2:
        return []  # one named cell is no header
    if separator != "|" and (header.rstrip().endswith(separator) or "'" in header):
        return []  # a list in code: `'prop', 'pwd', 'quickcheck',`
    columns = [
        index
        for index, (start, end) in enumerate(cells)
        if _strip(header[start:end]).lower() in _PASSWORD_HEADERS
    ]
    if not columns:
        return []
    return _column_values(text, header_end, separator, columns, len(cells))


def _column_values(
    text: str, pos: int, separator: str, columns: list[int], width: int
) -> list[Entity]:
    """The password-looking cells of `columns` in the rows of `width` cells after the header
    line ending at `pos`, up to a blank line or a line without the separator."""
    found = []
    while pos < len(text):
        row_start = pos + 1
        row_end = _line_end(text, row_start)
        row = text[row_start:row_end]
        pos = row_end
        if separator not in row or not row.strip():
            break
        if _MARKDOWN_RULE.fullmatch(row):
            continue
        cells = _cells(row, separator)
        if len(cells) != width:
            continue  # not a row of this table
        for column in columns:
            start, end = _value_span(row, *cells[column])
            if start < end and checks.looks_like_password(row[start:end]):
                found.append(
                    Entity(
                        type=EntityType.PASSWORD,
                        start=row_start + start,
                        end=row_start + end,
                        score=0.95,
                        source="pattern",
                    )
                )
    return found


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


def _strip(cell: str) -> str:
    return cell.strip(_TRIM + "*_#:")


_TRIM = " \t\r\"'`"
# A Markdown table's rule line: "|---|:---:|".
_MARKDOWN_RULE = re.compile(r"[\s|:-]*-[\s|:-]*")
# Header cells of password columns, in the languages of the password keywords.
_PASSWORD_HEADERS = frozenset(
    {
        "password", "passwords", "passwd", "pwd", "pw", "pass", "passphrase", "passcode",
        "passwort", "kennwort", "mot de passe", "mdp", "contraseña", "contrasena", "clave",
        "senha", "password wifi", "wifi password", "wi-fi password", "wlan-passwort",
        "wachtwoord", "lösenord", "salasana", "hasło", "haslo", "passord", "adgangskode",
    }
)  # fmt: skip
# Where a header cell may hold one: a line start or a separator, then the start of a word
# above (the cell is then compared whole). Bounded, for the prefilter's windows.
HEADER_CELL = re.compile(
    r"(?:^|[\n|,;\t])[ \t\"*`]{0,4}(?:pass|pw|kennwort|mot de passe|mdp|contrase|clave|senha"
    r"|wachtwoord|lösenord|salasana|hasło|haslo|adgangskode|wifi|wi-fi|wlan)"
)
