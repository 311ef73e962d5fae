"""National identity and tax numbers (Europe, and Brazil, Turkey, India, Canada, China), and
the German health insurance number: each format and check digit from its public
specification.

A check digit alone is weak evidence for a short number (1 in 11 for a Dutch BSN, 1 in 23 for
a Spanish DNI), so those count only after their keyword; the long, lettered formats (Italian
codice fiscale, French NIR) count by shape and check digit alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hybridroute.privacy import checksums
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


def belgian_nn_valid(number: str) -> bool:
    """Belgian national register number: birth date YYMMDD, a serial, and 97 - (the first
    nine digits mod 97), the nine digits prefixed with "2" for births from 2000."""
    if len(number) != 11 or not number.isdigit():
        return False
    head, key = int(number[:9]), int(number[9:])
    return key in (97 - head % 97, 97 - (2_000_000_000 + head) % 97)


def danish_cpr_valid(number: str) -> bool:
    """Danish CPR number: a birth date DDMMYY and four digits (the old modulus-11 rule is not
    used for numbers issued since 2007, so only the date is checked)."""
    return len(number) == 10 and number.isdigit() and _is_date(number[:2], number[2:4])


def finnish_hetu_valid(value: str) -> bool:
    """Finnish personal identity code: DDMMYY, a century sign, three digits and a check
    character, the nine digits mod 31 in "0123456789ABCDEFHJKLMNPRSTUVWXY"."""
    value = value.upper()
    if len(value) == 10:  # the "-" sign taken out with the separators
        value = f"{value[:6]}-{value[6:]}"
    if len(value) != 11 or value[6] not in "+-ABCDEFUVWXY" or not _is_date(value[:2], value[2:4]):
        return False
    digits = value[:6] + value[7:10]
    return digits.isdigit() and "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(digits) % 31] == value[10]


def norwegian_fnr_valid(number: str) -> bool:
    """Norwegian fødselsnummer: eleven digits, the last two modulus-11 check digits."""
    if len(number) != 11 or not number.isdigit():
        return False
    digits = [int(d) for d in number]
    for weights, at in (((3, 7, 6, 1, 8, 9, 4, 5, 2), 9), ((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), 10)):
        check = 11 - sum(d * w for d, w in zip(digits, weights, strict=False)) % 11
        if (0 if check == 11 else check) != digits[at]:
            return False
    return True


def portuguese_nif_valid(number: str) -> bool:
    """Portuguese tax number (NIF): nine digits, weights 9..2 and 11 - (sum mod 11), 10 or 11
    meaning 0."""
    if len(number) != 9 or not number.isdigit() or number[0] == "0":
        return False
    check = 11 - sum(int(d) * w for d, w in zip(number, range(9, 1, -1), strict=False)) % 11
    return (0 if check >= 10 else check) == int(number[8])


def romanian_cnp_valid(number: str) -> bool:
    """Romanian personal numeric code (CNP): 13 digits, weights 279146358279, mod 11 (10
    meaning 1)."""
    if len(number) != 13 or not number.isdigit() or number[0] == "0":
        return False
    if not _is_date(number[5:7], number[3:5]):
        return False
    total = sum(int(d) * int(w) for d, w in zip(number, "279146358279", strict=False)) % 11
    return (1 if total == 10 else total) == int(number[12])


def swiss_ahv_valid(number: str) -> bool:
    """Swiss social security number (AHV/AVS): 13 digits from 756, an EAN-13 check digit."""
    return len(number) == 13 and number.startswith("756") and _ean13_valid(number)


def irish_pps_valid(value: str) -> bool:
    """Irish PPS number: seven digits, a check letter and an optional second letter; weights
    8..2 on the digits, 9 on the second letter (A = 1), mod 23 over "WABCDEFGHIJKLMNOPQRSTUV"."""
    value = value.upper()
    if not (8 <= len(value) <= 9 and value[:7].isdigit() and value[7:].isalpha()):
        return False
    total = sum(int(d) * w for d, w in zip(value, range(8, 1, -1), strict=False))
    if len(value) == 9 and value[8] != "W":
        total += 9 * (ord(value[8]) - 64)
    return "WABCDEFGHIJKLMNOPQRSTUV"[total % 23] == value[7]


def brazilian_cpf_valid(number: str) -> bool:
    """Brazilian CPF: eleven digits, the last two modulus-11 check digits."""
    if len(number) != 11 or not number.isdigit() or len(set(number)) == 1:
        return False
    digits = [int(d) for d in number]
    for at in (9, 10):
        total = sum(d * w for d, w in zip(digits[:at], range(at + 1, 1, -1), strict=True))
        if (total * 10 % 11) % 10 != digits[at]:
            return False
    return True


def turkish_tckn_valid(number: str) -> bool:
    """Turkish identity number (T.C. Kimlik No): eleven digits, no leading zero, two checks."""
    if len(number) != 11 or not number.isdigit() or number[0] == "0":
        return False
    d = [int(c) for c in number]
    tenth = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
    return tenth == d[9] and sum(d[:10]) % 10 == d[10]


def curp_valid(value: str) -> bool:
    """Mexican CURP: four letters, the birth date, sex, state and three consonants, a
    character for the century, and a check digit weighted 18 down to 2 (RENAPO)."""
    value = value.upper()
    if len(value) != 18 or value[11:13] not in _CURP_STATES or value[10] not in "HMX":
        return False
    if not _valid_date(value[4:10]):
        return False
    try:
        total = sum(_CURP_ALPHABET.index(c) * (18 - i) for i, c in enumerate(value[:17]))
    except ValueError:
        return False
    return value[17] == str((10 - total % 10) % 10)


def mexican_nss_valid(number: str) -> bool:
    """Mexican social security number (IMSS NSS): eleven digits, the last a Luhn digit."""
    return len(number) == 11 and number.isdigit() and checksums.luhn_valid(number)


def _valid_date(yymmdd: str) -> bool:
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    return 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]


def aadhaar_valid(number: str) -> bool:
    """Indian Aadhaar number: twelve digits, not starting with 0 or 1, Verhoeff check digit."""
    if len(number) != 12 or not number.isdigit() or number[0] in "01":
        return False
    check = 0
    for index, digit in enumerate(reversed(number)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[index % 8][int(digit)]]
    return check == 0


def canadian_sin_valid(number: str) -> bool:
    """Canadian Social Insurance Number: nine digits passing the Luhn check."""
    return len(number) == 9 and number[0] not in "08" and checksums.luhn_valid(number)


def chinese_ric_valid(value: str) -> bool:
    """Chinese resident identity card number: 17 digits (with a birth date YYYYMMDD from the
    7th) and an ISO 7064 MOD 11-2 check character (0-9 or X)."""
    value = value.upper()
    if len(value) != 18 or not value[:17].isdigit() or not _is_date(value[12:14], value[10:12]):
        return False
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(value[:17]))
    return "10X98765432"[total % 11] == value[17]


def austrian_svnr_valid(number: str) -> bool:
    """Austrian social insurance number: a serial of three digits, a check digit and the
    birth date DDMMYY; weights 3,7,9,-,5,8,4,2,1,6 mod 11 (10 is never issued)."""
    if len(number) != 10 or not number.isdigit() or number[0] == "0":
        return False
    total = sum(int(d) * w for d, w in zip(number, (3, 7, 9, 0, 5, 8, 4, 2, 1, 6), strict=True))
    return total % 11 == int(number[3]) and _is_date(number[4:6], number[6:8])


def _is_date(day: str, month: str) -> bool:
    """Two-digit day and month that make a calendar date (DDMM; no year needed)."""
    return day.isdigit() and month.isdigit() and is_day(int(day), int(month))


def is_day(day: int, month: int) -> bool:
    """A day of the month in some year (29 February included: the year may be unknown or
    two digits)."""
    return 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]


def _ean13_valid(number: str) -> bool:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(number[:12]))
    return (10 - total % 10) % 10 == int(number[12])


def checked(valid: Callable[[str], bool]) -> Check:
    """A check passing the value (group `v`, separators removed) to `valid`."""

    def check(match: re.Match[str], text: str, lowered: str) -> float | None:
        return 0.95 if valid(_SEPARATORS.sub("", match["v"])) else None

    return check


def keyed_id(
    keywords: str,
    value: str,
    valid: Callable[[str], bool] | None,
    entity: EntityType = EntityType.NATIONAL_ID,
    *,
    reach: int = 24,
    boundary: str = r"(?<![\w-])",
) -> PatternRecognizer:
    """`value`, a whole token, within `reach` characters after one of `keywords` on its
    line, and accepted by `valid` (if given). `boundary`: what may not come right before the
    value (a word character: it would be a longer token's tail)."""
    return keyed_recognizer(
        entity,
        keywords,
        rf"{boundary}(?:{value})(?![\w-])",
        score=0.95,
        check=None if valid is None else checked(valid),
        reach=reach,
        checksum=valid is not None,
    )


def by_shape(
    value: str,
    valid: Callable[[str], bool],
    *,
    lowered: bool,
    entity: EntityType = EntityType.NATIONAL_ID,
) -> PatternRecognizer:
    """`value`, a whole token, wherever it stands, accepted by `valid`."""
    return PatternRecognizer(
        entity=entity,
        pattern=re.compile(rf"(?P<v>{value})(?![\w-])"),
        score=0.95,
        check=checked(valid),
        needs_digit=True,
        lowered=lowered,
        not_after=WORD_CHAR,
    )


def answered_below(keyed: PatternRecognizer) -> tuple[PatternRecognizer, PatternRecognizer]:
    """`keyed`, and the same identifier ending a line up to four lines below its keyword: a
    chat answers a question on its own line ("… your PESEL, please" / "Antoni Zawadzki" /
    "17241757893"; the gateway joins messages with line breaks), as do forms ("registre
    national ?" / "Pauline Vanderstraeten — 97.11.28-904.79"). Only for check digits that few
    numbers pass by chance, the keyword a whole word and nothing with digits before the value
    on its line: review 15 found a Danish CPR (a date is its only check) in "CPR course" /
    "Order no. 1503241187", and 12-digit payment references passing Aadhaar's Verhoeff digit."""
    assert keyed.opener is not None and keyed.value is not None
    return keyed, PatternRecognizer(
        entity=keyed.entity,
        pattern=re.compile(
            rf"(?P<k>{keyed.opener.pattern})(?!\w)[^\n]{{0,200}}(?:\n[^\n]{{0,120}}){{0,3}}?\n"
            rf"(?:[^\n\d]{{0,60}}?[\s:{_DASHES}])?{keyed.value.pattern}[^\S\n]*(?![^\n])"
        ),
        score=keyed.score,
        check=keyed.check,
        needs_digit=True,
        lowered=True,
        not_after=WORD_CHAR,
        opener=keyed.opener,
    )


def national_id_recognizers() -> tuple[PatternRecognizer, ...]:
    return (
        # By shape and check character: the codice fiscale ("RSSMRA85T10A562S"), and the NIR
        # only as it is printed, in groups ("1 85 05 78 006 084 36").
        by_shape(
            r"[A-Z]{6}[0-9LMNP-V]{2}[ABCDEHLMPRST][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]",
            codice_fiscale_valid,
            lowered=False,
        ),
        by_shape(_NIR_SPACED, nir_valid, lowered=True),
        *answered_below(
            keyed_id(
                r"sécu|sécurité\s+sociale|securite\s+sociale|nir|insee|carte\s+vitale",
                rf"{_NIR_SPACED}|[1-478]\d{{4}}(?:\d{{2}}|2[ab])\d{{8}}",
                nir_valid,
            )
        ),
        *answered_below(
            keyed_id(
                r"steuer-?id|steuer-?idnr|idnr|identifikationsnummer|steuerliche\s+id|tax\s+id",
                r"\d{2} ?\d{3} ?\d{3} ?\d{3}",
                steuer_id_valid,
            )
        ),
        *answered_below(
            keyed_id(
                r"dni|nie|nif|d\.n\.i\.?|documento\s+de\s+identidad",
                r"(?:\d{8}|[xyz]\d{7})-?[a-z]",
                dni_valid,
            )
        ),
        keyed_id(r"bsn|burgerservicenummer|sofinummer", r"\d{4}\.?\d{2}\.?\d{3}|\d{9}", bsn_valid),
        *answered_below(keyed_id(r"pesel", r"\d{11}", pesel_valid)),
        *answered_below(
            keyed_id(
                r"(?:kranken)?versichertennummer|(?:kranken)?versicherten-?nr\.?|kvnr",
                r"[a-z]\d{9}",
                kvnr_valid,
                EntityType.INSURANCE_ID,
            )
        ),
        *answered_below(
            keyed_id(
                r"national\s+insurance|nino|ni\s+(?:number|no\.?|#)",
                r"[a-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[a-d]",
                nino_valid,
            )
        ),
        # More countries, each after its keyword; the printed Swiss AHV and Brazilian CPF
        # ("756.9217.0769.85", "529.982.247-25") also by shape.
        *answered_below(
            keyed_id(
                r"rijksregister(?:nummer)?|registre\s{1,3}national|num[ée]ro\s{1,3}national|niss|insz",
                r"\d{2}\.?\d{2}\.?\d{2}[- ]?\d{3}\.?\d{2}",
                belgian_nn_valid,
            )
        ),
        keyed_id(r"cpr(?:-?n(?:umme)?r\.?)?", r"\d{6}-?\d{4}", danish_cpr_valid),
        *answered_below(
            keyed_id(
                r"henkilötunnus|hetu|sotu|personbeteckning",
                r"\d{6}[-+a-fu-y]\d{3}[0-9a-y]",
                finnish_hetu_valid,
            )
        ),
        *answered_below(
            keyed_id(
                r"fødselsnummer|fodselsnummer|personnummer", r"\d{6} ?\d{5}", norwegian_fnr_valid
            )
        ),
        keyed_id(r"nif|contribuinte", r"\d{3} ?\d{3} ?\d{3}", portuguese_nif_valid),
        *answered_below(
            keyed_id(r"cnp|cod\s{1,3}numeric\s{1,3}personal", r"\d{13}", romanian_cnp_valid)
        ),
        by_shape(r"756\.\d{4}\.\d{4}\.\d{2}", swiss_ahv_valid, lowered=False),
        *answered_below(
            keyed_id(
                r"ahv|avs|sozialversicherungsnummer|assicurazione\s{1,3}vecchiaia",
                r"756\.?\d{4}\.?\d{4}\.?\d{2}",
                swiss_ahv_valid,
            )
        ),
        *answered_below(
            keyed_id(
                r"ppsn?|personal\s{1,3}public\s{1,3}service", r"\d{7}[a-w][a-z]?", irish_pps_valid
            )
        ),
        by_shape(r"\d{3}\.\d{3}\.\d{3}-\d{2}", brazilian_cpf_valid, lowered=False),
        *answered_below(keyed_id(r"cpf", r"\d{3}\.?\d{3}\.?\d{3}-?\d{2}", brazilian_cpf_valid)),
        *answered_below(keyed_id(r"kimlik|tckn", r"\d{11}", turkish_tckn_valid)),
        # Mexico: the CURP by shape and check digit (18 characters, a date and a state code
        # inside), the IMSS number after its keyword.
        by_shape(_CURP, curp_valid, lowered=False),
        *answered_below(keyed_id(r"curp", _CURP.lower(), curp_valid)),
        keyed_id(
            r"nss|imss|n[úu]mero\s{1,3}de\s{1,3}seguridad\s{1,3}social",
            r"\d(?: ?\d){10}",
            mexican_nss_valid,
        ),
        keyed_id(r"aadhaa?r|uidai|आधार", r"\d{4} ?\d{4} ?\d{4}", aadhaar_valid),
        # India's PAN: no published check character, but a strict shape (the fourth letter
        # is the holder's kind: P a person, C a company...), only after its keyword.
        keyed_id(
            r"pan(?!\w)|permanent\s{1,3}account\s{1,3}number|पैन",  # not "Panel"
            r"[a-z]{3}[abcfghjlpt][a-z]\d{4}[a-z]",
            None,
        ),
        keyed_id(
            r"social\s{1,3}insurance|assurance\s{1,3}sociale|sin\s{1,3}(?:number|no\.?|#)",
            _SIN,
            canadian_sin_valid,
            reach=32,
        ),
        # A bare "SIN" in capitals ("the SIN on it looks wrong — it says 628 438 491"); in
        # lower case it is Spanish "without" ("sin el prefijo es 612 345 678").
        PatternRecognizer(
            entity=EntityType.NATIONAL_ID,
            pattern=re.compile(
                rf"(?<![\w-])SIN(?![\w-])[^\n]{{0,32}}?(?<![\w-])(?P<v>{_SIN})(?![\w-])"
            ),
            score=0.95,
            check=checked(canadian_sin_valid),
            needs_digit=True,
        ),
        # "sin" as a key of JSON, YAML or a form ("sin": "723 124 467"): a key is no Spanish
        # "without".
        PatternRecognizer(
            entity=EntityType.NATIONAL_ID,
            pattern=re.compile(
                rf"(?<![\w-])[\"']?sin[\"']?[ \t]*[:=][ \t]*[\"']?(?P<v>{_SIN})(?![\w-])"
            ),
            score=0.95,
            check=checked(canadian_sin_valid),
            needs_digit=True,
            lowered=True,
        ),
        # (The number may follow the Chinese keyword with no space: "身份证号330106…".)
        *answered_below(
            keyed_id(
                r"身份证|身份證|resident\s{1,3}id|id\s{1,3}card",
                r"\d{17}[\dx]",
                chinese_ric_valid,
                boundary=r"(?<![0-9a-z-])",
            )
        ),
        *answered_below(
            keyed_id(
                r"sozialversicherungs-?n(?:umme)?r|sv-?n(?:umme)?r|svnr",
                r"\d{4} ?\d{6}",
                austrian_svnr_valid,
            )
        ),
    )


_SIN = r"\d{3}[ -]?\d{3}[ -]?\d{3}"  # Canada's social insurance number, grouped or not
_CURP = r"[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{2}[B-DF-HJ-NP-TV-Z]{3}[0-9A-Z]\d"
_CURP_STATES = frozenset(
    "AS BC BS CC CH CL CM CS DF DG GR GT HG JC MC MN MS NE NL NT OC PL QR QT SL SP SR TC TL TS "
    "VZ YN ZS".split()
)
_CURP_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ"  # RENAPO's order: "Ñ" after "N"
_DASHES = "\u2014\u2013"  # as characters: the prefilter cannot translate a `\u` escape
_NIR_SPACED = r"[1-478] \d{2} (?:0[1-9]|1[0-2]|[2-9]\d) (?:\d{2}|2[ab]) \d{3} \d{3} \d{2}"
_SEPARATORS = re.compile(r"[\s./-]")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
# Values of the odd positions (1st, 3rd, …) for 0-9 / A-Z (digits as the letters A-J).
_CF_ODD = tuple(
    int(v) for v in "1 0 5 7 9 13 15 17 19 21 2 4 18 20 11 3 6 8 12 14 16 10 22 25 24 23".split()
)
_NINO_NOT_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
# Verhoeff's dihedral group D5: multiplication and position permutation tables.
_VERHOEFF_D = tuple(
    tuple(int(c) for c in row)
    for row in "0123456789 1234067895 2340178956 3401289567 4012395678 5987604321 6598710432 "
    "7659821043 8765932104 9876543210".split()
)
_VERHOEFF_P = tuple(
    tuple(int(c) for c in row)
    for row in "0123456789 1576283094 5803796142 8916043527 9453126870 4286573901 2793806415 "
    "7046913258".split()
)
