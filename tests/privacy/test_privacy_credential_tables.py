"""Passwords in a table's password column (Markdown, CSV, TSV), with no keyword next to them."""

import pytest

from hybridroute.privacy import Action, PrivacyScanner
from hybridroute.privacy.entities import EntityType


def _passwords(scanner: PrivacyScanner, text: str) -> list[str]:
    found = scanner.assess(text).entities
    return [text[e.start : e.end] for e in found if e.type == EntityType.PASSWORD]


@pytest.mark.parametrize(
    ("text", "values"),
    [
        (
            "Turn this into a wiki page:\n\n| env | db user | password |\n|---|---|---|\n"
            "| staging | app | St4g1ng!Pw |\n| prod | app | `Pr0d#Key9` |\n",
            ["St4g1ng!Pw", "Pr0d#Key9"],
        ),
        # A quoted cell may hold the separator; the password column is read by position.
        (
            "columns shift by one:\nservice,user,password,notes\n"
            'ftp.backup,backup,Ftp!Bk2020zz,"nightly, 02:00"\n',
            ["Ftp!Bk2020zz"],
        ),
        ("Gerät\tBenutzer\tPasswort\nRouter\tadmin\tLx9!vTq2\n", ["Lx9!vTq2"]),
    ],
)
def test_a_password_column_s_values_are_passwords(
    fast: PrivacyScanner, text: str, values: list[str]
) -> None:
    assert _passwords(fast, text) == values
    assert fast.assess(text).action is Action.LOCAL_ONLY


@pytest.mark.parametrize(
    "text",
    [
        # A policy, masked values and placeholders are no passwords.
        "| field | password | email |\n|---|---|---|\n| rule | min 8 chars | required |\n",
        "user,password\nbob,********\nann,<redacted>\n",
        "user;password\nbob;${DB_PASSWORD}\n",
        # A "password" cell in prose, not a header; a lone named cell.
        "Reset your password, then log in.\nbob, Sommer2024x\n",
        "password,\nSommer2024x\n",
    ],
)
def test_no_password_from_a_column_without_passwords(fast: PrivacyScanner, text: str) -> None:
    assert _passwords(fast, text) == []


def test_a_list_in_code_is_no_table(fast: PrivacyScanner) -> None:
    # Pygments' keyword lists: "'pwd'," is an item, not a header cell.
    text = "    'prop', 'pwd', 'quickcheck', 'refute',\n    'try', 'try0', 'typ', 'value',\n"
    assert _passwords(fast, text) == []
