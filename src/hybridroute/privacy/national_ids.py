"""European national identity numbers, and the German health insurance number: each format and
check digit from its public specification.

A check digit alone is weak evidence for a short number (1 in 11 for a Dutch BSN, 1 in 23 for
a Spanish DNI), so those count only after their keyword; the long, lettered formats (Italian
codice fiscale, French NIR) count by shape and check digit alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hybridroute.privacy.entities import EntityType
from hybridroute.privacy.matching import WORD_CHAR
from hybridroute.privacy.pattern_recognizer import Check, PatternRecognizer, keyed_recognizer


def steuer_id_valid(number: str) -> bool:
    """German tax id (Steuerliche Identifikationsnummer): 11 digits, ISO 7064 MOD 11,10."""
    if len(number) != 11 or not number.isdigit() or number[0] == "0":
        return False
    product = 10
    for char in number[:10]:
        total = (int(char) + product) % 10 or 10
        product = total * 2 % 11
    return (11 - product) % 10 == int(number[10])


def nir_valid(number: str) -> bool:
    """French social security number (NIR): 13 characters and a key of 97 - (n mod 97);
    Corsica's department 2A / 2B counts as 19 / 18."""
    body, key = number[:13].upper(), number[13:]
    body = body.replace("2A", "19", 1) if body[5:7] == "2A" else body
    body = body.replace("2B", "18", 1) if body[5:7] == "2B" else body
    if len(number) != 15 or not (body.isdigit() and key.isdigit()):
        return False
    return 97 - int(body) % 97 == int(key)


def dni_valid(value: str) -> bool:
    """Spanish DNI (8 digits) or NIE (X/Y/Z and 7 digits) and its control letter."""
    value = value.upper().replace("-", "")
    head, letter = value[:-1], value[-1]
    if head[:1] in "XYZ" and len(head) == 8:
        head = str("XYZ".index(head[0])) + head[1:]
    if len(head) != 8 or not head.isdigit():
        return False
    return _DNI_LETTERS[int(head) % 23] == letter


def codice_fiscale_valid(value: str) -> bool:
    """Italian codice fiscale: 15 characters and a check letter from odd/even tables."""
    value = value.upper()
    if len(value) != 16 or not value.isalnum():
        return False
    total = 0
    for index, char in enumerate(value[:15]):
        position = int(char) if char.isdigit() else ord(char) - 65
        total += _CF_ODD[position] if index % 2 == 0 else position
    return chr(65 + total % 26) == value[15]


def bsn_valid(number: str) -> bool:
    """Dutch citizen service number (BSN): 9 digits passing the eleven test."""
    if len(number) != 9 or not number.isdigit() or number == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(number, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True))
    return total % 11 == 0


def pesel_valid(number: str) -> bool:
    """Polish PESEL: 11 digits, a month shifted by century, weights 1-3-7-9."""
    if len(number) != 11 or not number.isdigit():
        return False
    if int(number[2:4]) % 20 not in range(1, 13):
        return False
    total = sum(int(d) * w for d, w in zip(number[:10], (1, 3, 7, 9) * 3, strict=False))
    return (10 - total % 10) % 10 == int(number[10])


def nino_valid(value: str) -> bool:
    """UK National Insurance number: two prefix letters as HMRC allocates them, six digits,
    a suffix A-D."""
    value = value.upper().replace(" ", "")
    prefix = value[:2]
    if prefix[0] in "DFIQUV" or prefix[1] in "DFIOQUV" or prefix in _NINO_NOT_PREFIXES:
        return False
    return value[2:8].isdigit() and value[8:] in ("A", "B", "C", "D")


def kvnr_valid(value: str) -> bool:
    """German health insurance number (Krankenversichertennummer): a letter, eight digits and a
    check digit; the letter as two digits (A = 01), then weights 1-2 over the ten digits, the
    digit sum of each product, modulo 10."""
    value = value.upper()
    if len(value) != 10 or not ("A" <= value[0] <= "Z" and value[1:].isdigit()):
        return False
    digits = f"{ord(value[0]) - 64:02d}{value[1:9]}"
    total = sum(sum(divmod(int(d) * (1 + i % 2), 10)) for i, d in enumerate(digits))
    return total % 10 == int(value[9])


def _checked(valid: Callable[[str], bool]) -> Check:
    """A check passing the value (group `v`, separators removed) to `valid`."""

    def check(match: re.Match[str], text: str, lowered: str) -> float | None:
        return 0.95 if valid(_SEPARATORS.sub("", match["v"])) else None

    return check


def _keyed(
    keywords: str,
    value: str,
    valid: Callable[[str], bool],
    entity: EntityType = EntityType.NATIONAL_ID,
) -> PatternRecognizer:
    """`value`, a whole token, within 24 characters after one of `keywords` on its line."""
    return keyed_recognizer(
        entity,
        keywords,
        rf"(?:{value})(?![\w-])",
        score=0.95,
        check=_checked(valid),
    )


def _by_shape(value: str, valid: Callable[[str], bool], *, lowered: bool) -> PatternRecognizer:
    """`value`, a whole token, wherever it stands."""
    return PatternRecognizer(
        entity=EntityType.NATIONAL_ID,
        pattern=re.compile(rf"(?P<v>{value})(?![\w-])"),
        score=0.95,
        check=_checked(valid),
        needs_digit=True,
        lowered=lowered,
        not_after=WORD_CHAR,
    )


def national_id_recognizers() -> tuple[PatternRecognizer, ...]:
    return (
        # By shape and check character: the codice fiscale ("RSSMRA85T10A562S"), and the NIR
        # only as it is printed, in groups ("1 85 05 78 006 084 36").
        _by_shape(
            r"[A-Z]{6}[0-9LMNP-V]{2}[ABCDEHLMPRST][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]",
            codice_fiscale_valid,
            lowered=False,
        ),
        _by_shape(_NIR_SPACED, nir_valid, lowered=True),
        _keyed(
            r"sécu|sécurité\s+sociale|securite\s+sociale|nir|insee",
            rf"{_NIR_SPACED}|[1-478]\d{{4}}(?:\d{{2}}|2[ab])\d{{8}}",
            nir_valid,
        ),
        _keyed(
            r"steuer-?id|steuer-?idnr|idnr|identifikationsnummer|steuerliche\s+id|tax\s+id",
            r"\d{2} ?\d{3} ?\d{3} ?\d{3}",
            steuer_id_valid,
        ),
        _keyed(
            r"dni|nie|nif|d\.n\.i\.?|documento\s+de\s+identidad",
            r"(?:\d{8}|[xyz]\d{7})-?[a-z]",
            dni_valid,
        ),
        _keyed(r"bsn|burgerservicenummer|sofinummer", r"\d{4}\.?\d{2}\.?\d{3}|\d{9}", bsn_valid),
        _keyed(r"pesel", r"\d{11}", pesel_valid),
        _keyed(
            r"(?:kranken)?versichertennummer|(?:kranken)?versicherten-?nr\.?|kvnr",
            r"[a-z]\d{9}",
            kvnr_valid,
            EntityType.INSURANCE_ID,
        ),
        _keyed(
            r"national\s+insurance|nino|ni\s+(?:number|no\.?|#)",
            r"[a-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[a-d]",
            nino_valid,
        ),
    )


_NIR_SPACED = r"[1-478] \d{2} (?:0[1-9]|1[0-2]|[2-9]\d) (?:\d{2}|2[ab]) \d{3} \d{3} \d{2}"
_SEPARATORS = re.compile(r"[\s.-]")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
# Values of the odd positions (1st, 3rd, …) for 0-9 / A-Z (digits as the letters A-J).
_CF_ODD = tuple(
    int(v) for v in "1 0 5 7 9 13 15 17 19 21 2 4 18 20 11 3 6 8 12 14 16 10 22 25 24 23".split()
)
_NINO_NOT_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
