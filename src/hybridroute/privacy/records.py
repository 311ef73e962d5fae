"""Tables about people: a detected name in a column whose header says it holds names.

A CSV export, a TSV paste or a Markdown table with a "name" / "Nachname" / "employee" column
is a list of records about individuals (a roster, a customer list, a gradebook), even when no
sentence around it says "my colleague". A name elsewhere in the text, or a "Name" column of
products or cities (no person found in it), is not such a record.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from hybridroute.privacy.entities import Entity, EntityType


def names_a_table_column(text: str, entities: Sequence[Entity]) -> bool:
    """Some PERSON entity lies in a table column headed by a name field."""
    return next(_persons_in_name_columns(text, entities), None) is not None


def persons_in_name_columns(text: str, entities: Sequence[Entity]) -> list[Entity]:
    """The PERSON entities that lie in a table column headed by a name field."""
    return list(_persons_in_name_columns(text, entities))


def _persons_in_name_columns(text: str, entities: Sequence[Entity]) -> Iterator[Entity]:
    if "\n" not in text:
        return
    headers: dict[tuple[int, str], int] = {}  # (line start, separator) -> its header's start
    row_start, searched_to = 0, 0
    row, separator, columns = -1, "", frozenset[int]()
    column, counted_to = 0, 0
    # In text order, each line break is looked for once and each row is read once (persons
    # on one long line are many); columns are counted on from the last person in the row.
    persons = sorted((e for e in entities if e.type == EntityType.PERSON), key=lambda e: e.start)
    for person in persons:
        start = person.start
        row_start = max(row_start, text.rfind("\n", searched_to, start) + 1)
        searched_to = start
        if row_start != row:
            row, column, counted_to = row_start, 0, row_start
            row_end = text.find("\n", start)
            line = text[row_start : len(text) if row_end < 0 else row_end]
            separator = cell_separator(line) or ""
            columns = _name_columns(text, row_start, line, separator, headers)
        if not columns:
            continue
        column += text.count(separator, counted_to, start)
        counted_to = start
        if column in columns:
            yield person


def _name_columns(
    text: str, row_start: int, row: str, separator: str, headers: dict[tuple[int, str], int]
) -> frozenset[int]:
    """The columns of `row` (the line at `row_start`) whose header (the first line of the
    run of lines with the row's separator above it) names a name field; none when the row
    is in no table. `headers` remembers the walks up, so each line of a long table is read
    once."""
    if not separator or row_start == 0:
        return frozenset()
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
        return frozenset()  # no line above the row belongs to its table
    header = text[header_start : text.find("\n", header_start)]
    # A row of the table has the header's cells; a prose line under a comma-separated
    # "Name, age and address" does not.
    if header.count(separator) != row.count(separator):
        return frozenset()
    cells = header.split(separator)
    if sum(1 for cell in cells if cell.strip()) < 2:
        return frozenset()  # one named cell: "    name," in a call's argument list, not a header
    return frozenset(i for i, cell in enumerate(cells) if _header_key(cell) in NAME_HEADERS)


def cell_separator(line: str) -> str | None:
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
