"""Passwords in a table's password column: a Markdown table, a CSV, TSV or semicolon export
whose header has a cell "password" ("Passwort", "senha", "pw"...). An office wiki's device
list or a pasted credentials export holds one per row, with no keyword next to the value.
Also a list of `site: password` lines right after a line that names passwords in the plural
("I'm pasting my passwords here:\nbank: Marigold!Otter88\nemail: …").

Only values that look like passwords on their own count (`checks.looks_like_password`:
letters and a digit, no placeholder, no technical token), so a column documenting a policy
("required", "min. 8 characters") or masked values ("****") gives none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hybridroute.privacy import identifier_checks as checks
from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.tables import column_values, header_at


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
            header = header_at(text, keyword.end(), done_headers)
            if header is None:
                continue
            columns = frozenset(
                index for index, name in header.names(text) if name.lower() in _PASSWORD_HEADERS
            )
            if columns:
                found.extend(
                    Entity(type=EntityType.PASSWORD, start=start, end=end, score=0.95)
                    for _, start, end in column_values(text, header, columns)
                    if checks.looks_like_password(text[start:end])
                )
    return found


def passwords_in_lists(
    text: str, lowered: str, windows: Sequence[tuple[int, int]] | None = None
) -> list[Entity]:
    """PASSWORD entities for the one-word values of the `label: value` lines that follow a
    line naming passwords (`PASSWORD_LIST`; `windows` from its prefilter, else anywhere).
    The values must look like passwords alone, and be mixed-case or hold a symbol; labels
    that name a login, a host or a port are skipped ("username: admin2024")."""
    if "\n" not in text:
        return []
    found: list[Entity] = []
    done = 0
    for low, high in windows if windows is not None else ((0, len(lowered)),):
        for keyword in PASSWORD_LIST.finditer(lowered, max(low, done), high):
            line_end = text.find("\n", keyword.end())
            if line_end < 0:
                break
            line_start = lowered.rfind("\n", 0, keyword.start()) + 1
            if _NOT_SOMEONES.search(lowered, line_start, line_end):
                continue  # "Common passwords in leaks:", "the passwords section:"
            pos = _BLANK_LINES.match(text, line_end + 1).end()  # type: ignore[union-attr]
            while (line := _LIST_LINE.match(text, pos)) is not None and line.end() > pos:
                pos = line.end()
                value = line["value"]
                if value is None or len(value) < 8:
                    continue
                if line["label"].strip().lower() in _NOT_PASSWORD_LABELS:
                    continue
                if checks.looks_like_password(value) and (
                    value.lower() != value or not value.isalnum()
                ):
                    found.append(
                        Entity(
                            type=EntityType.PASSWORD,
                            start=line.start("value"),
                            end=line.end("value"),
                            score=0.9,
                        )
                    )
            done = pos
    return found


# A line naming passwords in the plural, in the languages of the password keywords.
PASSWORD_LIST = re.compile(
    r"passwords|passwörter|kennwörter|mots de passe|contraseñas|senhas|wachtwoorden"
    r"|lösenorden|hasła|passordene|salasanat"
)
_BLANK_LINES = re.compile(r"(?:[ \t\r]*\n)*")
# One list line: an optional bullet, a short label, ":" or "=", then one word (the rest of
# the line; a line holding more words is read, not taken: "netflix: whatever, not important").
_LIST_LINE = re.compile(
    r"[ \t]*(?:[-*\u2022][ \t]*)?(?P<label>[^\s:=][^\n:=]{0,30}?)[ \t]*[:=][ \t]*"
    r"(?:(?P<value>[^\s]{1,64})[ \t\r]*|[^\n]*)(?:\n|$)"
)
# A line about passwords in general, or a settings block: its list holds no one's.
_NOT_SOMEONES = re.compile(
    r"common|weak|leak|breach|example|sample|avoid|bad|worst|popular|banned|typical|default"
    r"|polic|rule|requirement|section|setting|config|strength|generat|hash"
)
_NOT_PASSWORD_LABELS = frozenset(
    "user|username|user name|login|user id|userid|host|hostname|server|url|port|id|name"
    "|region|database|db|account|account id|e-mail address|email address".split("|")
)
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
