"""Tables about people: a detected name in a column whose header says it holds names.

A CSV export, a TSV paste or a Markdown table with a "name" / "Nachname" / "employee" column
is a list of records about individuals (a roster, a customer list, a gradebook), even when no
sentence around it says "my colleague". A name elsewhere in the text, or a "Name" column of
products or cities (no person found in it), is not such a record.
"""

from __future__ import annotations

from collections.abc import Sequence

from hybridroute.privacy.entities import Entity, EntityType


def names_a_table_column(text: str, entities: Sequence[Entity]) -> bool:
    """Some PERSON entity lies in a table column headed by a name field."""
    if "\n" not in text:
        return False
    rows_seen: set[int] = set()
    headers: dict[tuple[int, str], int] = {}  # (line start, separator) -> its header's start
    row_start, searched_to = 0, 0
    # In text order, each line break is looked for once (persons on one long line are many).
    for start in sorted(e.start for e in entities if e.type == EntityType.PERSON):
        row_start = max(row_start, text.rfind("\n", searched_to, start) + 1)
        searched_to = start
        if row_start in rows_seen:
            continue
        rows_seen.add(row_start)
        if _in_name_column(text, row_start, start, headers):
            return True
    return False


def _in_name_column(
    text: str, row_start: int, at: int, headers: dict[tuple[int, str], int]
) -> bool:
    """`at`, in the row that starts at `row_start`, lies in a column whose header (the first
    line of the run of lines with the row's separator above it) names a name field.
    `headers` remembers the walks up, so each line of a long table is read once."""
    row_end = text.find("\n", at)
    row = text[row_start : len(text) if row_end < 0 else row_end]
    separator = _separator(row)
    if separator is None or row_start == 0:
        return False
    # Up to the header: the lines above with the same separator, none of them blank.
    header_start = row_start
    walked = []
    while header_start > 0 and (header_start, separator) not in headers:
        above = text.rfind("\n", 0, header_start - 1) + 1
        line = text[above : header_start - 1]
        if separator not in line or not line.strip():
            break
        walked.append(header_start)
        header_start = above
    header_start = headers.get((header_start, separator), header_start)
    for line_start in walked:
        headers[(line_start, separator)] = header_start
    if header_start == row_start:
        return False  # no line above the row belongs to its table
    header = text[header_start : text.find("\n", header_start)]
    # A row of the table has the header's cells; a prose line under a comma-separated
    # "Name, age and address" does not.
    if header.count(separator) != row.count(separator):
        return False
    if sum(1 for cell in header.split(separator) if cell.strip()) < 2:
        return False  # one named cell: "    name," in a call's argument list, not a header
    column = text.count(separator, row_start, at)
    return _header_key(header.split(separator)[column]) in NAME_HEADERS


def _separator(line: str) -> str | None:
    """The cell separator a row uses, if it has one."""
    for separator in ("|", "\t", ";", ","):
        if separator in line:
            return separator
    return None


def _header_key(cell: str) -> str:
    """A header cell folded for lookup: "First Name" and "first_name" are "firstname"."""
    kept = cell.strip().strip("\"'*`#:").lower()
    return kept.replace(" ", "").replace("_", "").replace("-", "").replace(".", "")


# Header cells of columns that hold people's names, in the languages the cues cover (not
# "member" or Turkish "ad": English API docs and ad tables use them).
NAME_HEADERS = frozenset(
    {
        # English
        "name", "names", "fullname", "firstname", "lastname", "surname", "givenname",
        "familyname", "forename", "employee", "employeename", "customer", "customername",
        "client", "clientname", "patient", "patientname", "student", "studentname", "pupil",
        "contact", "contactname", "person", "membername", "tenant", "applicant",
        "candidate", "candidatename", "recipient", "assignee", "guest", "guestname",
        # French, Spanish, Portuguese, Italian
        "nom", "prénom", "prenom", "nomcomplet", "nombre", "apellido", "apellidos",
        "nombrecompleto", "sobrenome", "nome", "nomecompleto", "cognome",
        # German, Dutch, Scandinavian
        "vorname", "nachname", "mitarbeiter", "mitarbeiterin", "naam", "voornaam",
        "achternaam", "namn", "förnamn", "efternamn", "navn", "fornavn", "etternavn",
        # Polish, Turkish
        "imię", "imie", "nazwisko", "imięinazwisko", "soyad", "adsoyad", "isim",
    }
)  # fmt: skip
