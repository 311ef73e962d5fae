"""Check digits and range rules that separate real identifiers from look-alikes."""

from __future__ import annotations

import ipaddress


def digits_of(value: str) -> str:
    """Only the ASCII digits of `value`, in order."""
    return value.translate(_NOT_DIGIT) if not value.isdigit() else value


class _DropNonDigits(dict[int, None]):
    """A `str.translate` table that deletes every character but the ASCII digits."""

    def __missing__(self, key: int) -> int | None:
        return key if 48 <= key <= 57 else None


_NOT_DIGIT = _DropNonDigits()


def luhn_valid(number: str) -> bool:
    """Luhn mod-10 check (payment cards, NPI); `number` is digits only."""
    if not number.isdigit() or len(number) < 2:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = ord(char) - 48
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def iban_valid(value: str) -> bool:
    """ISO 13616 IBAN: known country length and mod-97 == 1."""
    iban = value.replace(" ", "").replace("-", "").upper()
    country = iban[:2]
    expected = IBAN_LENGTHS.get(country)
    if expected is None or len(iban) != expected or not iban.isalnum():
        return False
    if not iban[2:4].isdigit():
        return False
    rearranged = iban[4:] + iban[:4]
    try:
        numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    except ValueError:
        return False
    return int(numeric) % 97 == 1


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """US SSN range rules: area not 000/666/9xx, group not 00, serial not 0000."""
    if area in {"000", "666"} or area[0] == "9":
        return False
    if group == "00" or serial == "0000":
        return False
    return f"{area}{group}{serial}" not in KNOWN_FAKE_SSNS


def aba_routing_valid(number: str) -> bool:
    """ABA routing number: 9 digits, weights 3-7-1, known Federal Reserve prefix."""
    if len(number) != 9 or not number.isdigit():
        return False
    prefix = int(number[:2])
    if not (0 <= prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(number, weights, strict=True)) % 10 == 0


def ip_valid(value: str) -> bool:
    """A syntactically valid IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def ip_is_internal(value: str) -> bool:
    """A private, loopback, link-local or reserved address (call only on a valid address)."""
    address = ipaddress.ip_address(value)
    return address.is_private or address.is_loopback or address.is_link_local or address.is_reserved


def card_issuer_known(number: str) -> bool:
    """The leading digits belong to a card network's IIN ranges, and the length is one that
    network issues (a 15-digit number opening "25" passes Luhn one time in ten but is no
    Mastercard: a French NIR "2 55 08 14 168 025 38" was taken for one)."""
    return any(
        len(number) in lengths and number.startswith(prefixes)
        for prefixes, lengths in CARD_NETWORKS
    )


KNOWN_FAKE_SSNS = frozenset({"123456789", "078051120", "219099999"})

CARD_NETWORKS: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...] = (
    (("4",), (13, 16, 19)),  # Visa
    (("51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27"), (16,)),  # Mastercard
    (("34", "37"), (15,)),  # Amex
    (("6011", "644", "645", "646", "647", "648", "649", "65"), (16, 17, 18, 19)),  # Discover
    (("35",), (16, 17, 18, 19)),  # JCB
    (("2131", "1800"), (15,)),  # JCB (old)
    (("300", "301", "302", "303", "304", "305", "36", "38", "39"), tuple(range(14, 20))),  # Diners
    (("50", "56", "57", "58", "6"), tuple(range(12, 20))),  # Maestro, UnionPay, other 6-series
)

IBAN_LENGTHS = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BR": 29,
    "BY": 28,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NL": 18,
    "NO": 15,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "SA": 24,
    "SC": 31,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
}
