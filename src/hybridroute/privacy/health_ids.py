"""Health identifiers: patient numbers and health-insurance card numbers, each format and
check digit from its public specification, and the identifying fields of a pasted HL7 v2
message or FHIR resource.

A health number says more than a national id: whoever holds it can look up a medical
record. Most formats are ten plain digits, which phone numbers also are, so each counts only
after its keyword (within 48 characters on its line when a check digit backs it), except the
long, prefixed Australian IHI and the dashed US MBI, which count by shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hybridroute.privacy import checksums
from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.matching import WORD_CHAR
from hybridroute.privacy.national_ids import by_shape, is_day, keyed_id
from hybridroute.privacy.pattern_recognizer import PatternRecognizer


def nhs_number_valid(number: str) -> bool:
    """NHS number (England, Wales, Isle of Man), and the CHI (Scotland) and H&C (Northern
    Ireland) numbers, which share it: mod 11 over weights 10..2; a remainder giving 10 is
    never issued."""
    if len(number) != 10 or not number.isdigit():
        return False
    check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(number[:9])) % 11
    return check != 10 and check % 11 == int(number[9])


def au_medicare_valid(number: str) -> bool:
    """Australian Medicare card number: first digit 2-6, the ninth a weighted mod-10 check
    of the first eight, then the issue number (and, if written, the individual's IRN)."""
    if len(number) not in (10, 11) or not number.isdigit() or number[0] not in "23456":
        return False
    total = sum(int(d) * w for d, w in zip(number[:8], (1, 3, 7, 9, 1, 3, 7, 9), strict=True))
    return total % 10 == int(number[8])


def ihi_valid(number: str) -> bool:
    """Australian Individual Healthcare Identifier (and the HPI-I / HPI-O of providers): 16
    digits, prefix 80036 and 0-2, Luhn."""
    return (
        len(number) == 16
        and number.startswith(("800360", "800361", "800362"))
        and (checksums.luhn_valid(number))
    )


def ohip_valid(number: str) -> bool:
    """Ontario health card number: 10 digits, the last a Luhn check of the first nine (and
    perhaps a two-letter version code)."""
    if len(number) == 12 and number[10:].isalpha():
        number = number[:10]
    return len(number) == 10 and number.isdigit() and checksums.luhn_valid(number)


def bc_phn_valid(number: str) -> bool:
    """British Columbia Personal Health Number: a 9 then eight digits and a mod-11 check."""
    if len(number) != 10 or not number.isdigit() or number[0] != "9":
        return False
    total = sum(int(d) * w for d, w in zip(number[1:9], (2, 4, 8, 5, 10, 9, 7, 3), strict=True))
    check = 11 - total % 11
    return check < 10 and check == int(number[9])


def ramq_valid(value: str) -> bool:
    """Quebec health card (RAMQ): four letters of the name, the birth date as YYMMDD (month
    +50 for women), two digits of rank."""
    code = value.replace(" ", "").replace("-", "")
    if len(code) != 12 or not code[:4].isalpha() or not code[4:].isdigit():
        return False
    month, day = int(code[6:8]), int(code[8:10])
    return is_day(day, month - 50 if month > 50 else month)


def chi_number_valid(number: str) -> bool:
    """Scottish CHI number: the NHS check, after a birth date as DDMMYY."""
    return nhs_number_valid(number) and is_day(int(number[:2]), int(number[2:4]))


def health_id_recognizers() -> tuple[PatternRecognizer, ...]:
    return (
        _keyed(
            r"nhs\s*(?:no\.?|number|num|#|id)|nhs-nummer|h&c|health\s+and\s+care\s+number",
            _TEN_DIGITS,
            nhs_number_valid,
        ),
        _keyed(r"\bchi\b", _TEN_DIGITS, chi_number_valid),
        _keyed(
            r"medicare",
            r"[2-6]\d{3}[ -]?\d{5}[ -]?\d(?:[ /-]?\d)?",
            au_medicare_valid,
            EntityType.INSURANCE_ID,
        ),
        _keyed(
            r"ohip|health\s+card|health\s+number|carte\s+santé",  # Luhn-checked: bare "card" too
            r"\d{4}[ -]{0,3}\d{3}[ -]{0,3}\d{3}(?:[ -]{0,3}[a-z]{2})?",  # and a version code
            ohip_valid,
            EntityType.INSURANCE_ID,
        ),
        _keyed(r"\bphn\b|personal\s+health\s+number", r"9\d{3}[ -]?\d{3}[ -]?\d{3}", bc_phn_valid),
        _keyed(
            r"ramq|carte\s+soleil|assurance[\s-]maladie",
            r"[a-z]{4}[ -]?\d{4}[ -]?\d{4}",
            ramq_valid,
            EntityType.INSURANCE_ID,
        ),
        _keyed(r"\bmbi\b|medicare|beneficiary", _MBI_KEYED, None, EntityType.INSURANCE_ID),
        # By shape: the IHI's prefix and Luhn digit, the MBI's letter-digit layout as CMS
        # prints it (4-3-4, upper case, no S, L, O, I, B or Z).
        by_shape(
            r"8003[ -]?6[0-2]\d\d[ -]?\d{4}[ -]?\d{4}",
            ihi_valid,
            lowered=False,
            entity=EntityType.MEDICAL_RECORD,
        ),
        PatternRecognizer(
            entity=EntityType.INSURANCE_ID,
            pattern=re.compile(rf"(?P<v>{_MBI_DASHED})(?![\w-])"),
            score=0.9,
            needs_digit=True,
            not_after=WORD_CHAR,
        ),
    )


# What the prefilter looks for before `health_record_fields` runs.
HEALTH_RECORD = re.compile(r"PID\||NK1\||\"resourceType\"|xmlns=\"http://hl7\.org/fhir\"")


def health_record_fields(text: str) -> list[Entity]:
    """The identifying fields of a pasted HL7 v2 message or FHIR resource."""
    return [*hl7_patient_fields(text), *fhir_person_fields(text)]


def fhir_person_fields(text: str) -> list[Entity]:
    """In a FHIR resource about a person (Patient, RelatedPerson, Person, Practitioner), in
    JSON or XML: the family and given names (and a name's whole `text`), the address lines,
    and each identifier or contact point value (`{"system": …, "value": …}`), typed by its
    system."""
    found = fhir_xml_person_fields(text) if _FHIR_XML_PERSON.search(text) else []
    if _FHIR_PERSON.search(text) is None:
        return found
    found += [_entity(EntityType.PERSON, *m.span("v")) for m in _FHIR_FAMILY.finditer(text)]
    for name in _FHIR_NAME.finditer(text):
        # The name objects' own fields, up to the end of the array ("}]"); `given` lists
        # close with "]" after a string, so they do not end it.
        array_end = _FHIR_ARRAY_END.search(text, name.end(), name.end() + 600)
        region_end = name.end() + 600 if array_end is None else array_end.start()
        found.extend(
            _entity(EntityType.PERSON, *m.span("v"))
            for m in _FHIR_TEXT.finditer(text, name.end(), region_end)
        )
    for field, entity in (
        (_FHIR_GIVEN, EntityType.PERSON),
        (_FHIR_LINE, EntityType.STREET_ADDRESS),
    ):
        for listed in field.finditer(text):
            start = listed.start("items")
            found.extend(
                _entity(entity, start + m.start("v"), start + m.end("v"))
                for m in _JSON_STRING.finditer(listed["items"])
            )
    for pair in _FHIR_SYSTEM_VALUE.finditer(text):
        system = (pair["system"] or pair["system2"]).lower()
        span = pair.span("value") if pair["value"] is not None else pair.span("value2")
        entity = _CONTACT_SYSTEMS.get(system, EntityType.MEDICAL_RECORD)
        if entity is not EntityType.MEDICAL_RECORD or _HAS_DIGIT.search(text, *span):
            found.append(_entity(entity, *span))
    return found


def fhir_xml_person_fields(text: str) -> list[Entity]:
    """The same fields in a FHIR resource about a person written in XML (`<family
    value="Chalmers"/>`, `<system value="phone"/><value value="…"/>`)."""
    found = [
        _entity(EntityType.PERSON, *m.span("v" if m["v"] is not None else "t"))
        for m in _FHIR_XML_NAME_PART.finditer(text)
    ]
    found += [
        _entity(EntityType.STREET_ADDRESS, *m.span("v")) for m in _FHIR_XML_LINE.finditer(text)
    ]
    for pair in _FHIR_XML_SYSTEM_VALUE.finditer(text):
        entity = _CONTACT_SYSTEMS.get(pair["system"].lower(), EntityType.MEDICAL_RECORD)
        if entity is not EntityType.MEDICAL_RECORD or _HAS_DIGIT.search(pair["value"]):
            found.append(_entity(entity, *pair.span("value")))
    return found


def hl7_patient_fields(text: str) -> list[Entity]:
    """The identifying fields of each HL7 v2 PID (patient) and NK1 (next of kin) segment:
    identifiers, names, birth date, address, phones, SSN. A pasted message is a patient's
    record even with no keyword in sight."""
    found: list[Entity] = []
    has_header = "MSH|" in text
    for segment in _SEGMENT.finditer(text):
        values = segment["fields"].split("|")
        # HL7, not a pipe-separated table with a PID column: a message header, or the
        # components (^) of a patient id or name.
        if len(values) < 5 or not (has_header or "^" in values[2] or "^" in values[4]):
            continue
        fields = _FIELDS_BY_SEGMENT[segment["name"]]
        at = segment.end("name") + 1  # after the field separator
        for index, field in enumerate(values, start=1):
            entity = fields.get(index)
            if entity is not None and field.strip("^~& "):
                found.extend(_field_entities(entity, field, at))
            at += len(field) + 1
    return found


def _field_entities(entity: EntityType, field: str, at: int) -> list[Entity]:
    """The values of `entity`'s kind in `field` (at offset `at`), per repetition (`~`): an
    identifier is the first component (the rest name its issuer and type), a name the
    family, given and middle names, an address or phone the whole repetition."""
    found = []
    offset = at
    wanted = _HAS_LETTER if entity is EntityType.PERSON else _HAS_DIGIT
    for repetition in field.split("~"):
        if entity in _WHOLE_REPETITION:
            value = repetition.rstrip("^& ")
            digits = sum(c.isdigit() for c in value)
            if value.strip("^& ") and (entity is not EntityType.PHONE or digits >= 7):
                found.append(_entity(entity, offset, offset + len(value)))
        else:
            position = offset
            for component in repetition.split("^")[: 3 if entity is EntityType.PERSON else 1]:
                value = component.split("&")[0]
                if wanted.search(value):
                    found.append(_entity(entity, position, position + len(value)))
                position += len(component) + 1
        offset += len(repetition) + 1
    return found


def _entity(entity: EntityType, start: int, end: int) -> Entity:
    return Entity(type=entity, start=start, end=end, score=0.95)


def _keyed(
    keywords: str,
    value: str,
    valid: Callable[[str], bool] | None,
    entity: EntityType = EntityType.MEDICAL_RECORD,
) -> PatternRecognizer:
    """`value` within 48 characters after one of `keywords` on its line ("NHS number for the
    referral, patient's is 943 476 5919")."""
    return keyed_id(keywords, value, valid, entity, reach=48)


_TEN_DIGITS = r"\d{3}[ -]?\d{3}[ -]?\d{4}"
_MBI_LETTER = "[AC-HJKMNP-RT-Y]"
_MBI = (
    rf"[1-9]{_MBI_LETTER}[AC-HJKMNP-RT-Y\d]\d-?{_MBI_LETTER}[AC-HJKMNP-RT-Y\d]\d-?"
    rf"{_MBI_LETTER}{{2}}\d{{2}}"
)
_MBI_DASHED = _MBI.replace("-?", "-")
_MBI_KEYED = _MBI.replace("-?", "[ -]?").lower()  # after its keyword, spaced too

# PID: 2-4 patient ids, 5 name, 6 mother's maiden name, 7 birth date, 11 address, 13-14
# phones, 19 SSN, 20 driver's licence. NK1: 2 name, 4 address, 5-6 phones.
_FIELDS_BY_SEGMENT: dict[str, dict[int, EntityType]] = {
    "PID": {
        2: EntityType.MEDICAL_RECORD,
        3: EntityType.MEDICAL_RECORD,
        4: EntityType.MEDICAL_RECORD,
        5: EntityType.PERSON,
        6: EntityType.PERSON,
        7: EntityType.DATE_OF_BIRTH,
        11: EntityType.STREET_ADDRESS,
        13: EntityType.PHONE,
        14: EntityType.PHONE,
        19: EntityType.US_SSN,
        20: EntityType.DRIVER_LICENSE,
    },
    "NK1": {
        2: EntityType.PERSON,
        4: EntityType.STREET_ADDRESS,
        5: EntityType.PHONE,
        6: EntityType.PHONE,
    },
}
_WHOLE_REPETITION = frozenset({EntityType.STREET_ADDRESS, EntityType.PHONE})
_HAS_LETTER = re.compile(r"[^\W\d_]")
_HAS_DIGIT = re.compile(r"\d")
# A segment at a line start (or after the `\r` HL7 separates segments with, or its escape in
# a log or JSON string), up to the end of its line.
_SEGMENT = re.compile(
    r"(?:^[ \t>]*|\r|\\r|\\n|(?<=\s))(?P<name>PID|NK1)\|"
    # To the end of its line, or to the next segment in a log line that joins them by spaces.
    r"(?P<fields>(?:(?!\s[A-Z][A-Z0-9]{2}\|)[^\r\n\\])*)",
    re.MULTILINE,
)

# FHIR JSON. A JSON string's characters: anything but a quote or backslash, or an escape.
_STR = r'(?:[^"\\]|\\.){1,120}'
_FHIR_PERSON = re.compile(r'"resourceType"\s*:\s*"(?:Patient|RelatedPerson|Person|Practitioner)"')
_FHIR_FAMILY = re.compile(rf'"family"\s*:\s*"(?P<v>{_STR})"')
_FHIR_GIVEN = re.compile(r'"given"\s*:\s*\[(?P<items>[^\]]{1,400})\]')
_FHIR_LINE = re.compile(r'"line"\s*:\s*\[(?P<items>[^\]]{1,400})\]')
_JSON_STRING = re.compile(rf'"(?P<v>{_STR})"')
_FHIR_NAME = re.compile(r'"name"\s*:\s*\[')
_FHIR_ARRAY_END = re.compile(r"\}\s*\]")
_FHIR_TEXT = re.compile(rf'"text"\s*:\s*"(?P<v>{_STR})"')
# FHIR XML: each field an element with a `value` attribute.
_XML_VALUE = r'\s+value\s*=\s*"(?P<{}>[^"<>]{{1,120}})"\s*/>'
_FHIR_XML_PERSON = re.compile(
    r'<(?:Patient|RelatedPerson|Person|Practitioner)\b[^>]*xmlns="http://hl7\.org/fhir"'
)
_FHIR_XML_NAME_PART = re.compile(
    r"<(?:family|given)"
    + _XML_VALUE.format("v")
    # A name's whole text, inside its <name> (a <text> elsewhere is a code's description).
    + r"|<name>(?:(?!</name>)[^<]|<(?!/name>)[^>]*>){0,400}?<text"
    + _XML_VALUE.format("t")
)
_FHIR_XML_LINE = re.compile(r"<line" + _XML_VALUE.format("v"))
_FHIR_XML_SYSTEM_VALUE = re.compile(
    r"<system" + _XML_VALUE.format("system") + r"\s*(?:<use[^>]*/>\s*)?"
    r"<value" + _XML_VALUE.format("value")
)
_FHIR_SYSTEM_VALUE = re.compile(
    rf'"system"\s*:\s*"(?P<system>{_STR})"\s*,\s*(?:"use"\s*:\s*"{_STR}"\s*,\s*)?'
    rf'"value"\s*:\s*"(?P<value>{_STR})"'
    rf'|"value"\s*:\s*"(?P<value2>{_STR})"\s*,\s*(?:"use"\s*:\s*"{_STR}"\s*,\s*)?'
    rf'"system"\s*:\s*"(?P<system2>{_STR})"'
)
_CONTACT_SYSTEMS = {
    "phone": EntityType.PHONE,
    "fax": EntityType.PHONE,
    "sms": EntityType.PHONE,
    "pager": EntityType.PHONE,
    "email": EntityType.EMAIL,
}
