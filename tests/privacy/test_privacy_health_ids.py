import pytest

from hybridroute.privacy import PrivacyScanner, PrivacySettings
from hybridroute.privacy import health_ids as ids
from hybridroute.privacy.recognizers import StructuredDetector


@pytest.mark.parametrize(
    ("valid", "good", "bad"),
    [
        # Published example values where there is one (NHS Digital's 943 476 5919), else a
        # value completed with its own check digit; each with one digit changed.
        (ids.nhs_number_valid, "9434765919", "9434765918"),
        (ids.nhs_number_valid, "1753760003", "1753760004"),
        (ids.chi_number_valid, "1204851239", "3204851239"),  # no 32nd day
        (ids.chi_number_valid, "3004851237", "3104851239"),  # both pass the NHS check; no 31 April
        (ids.au_medicare_valid, "2123456701", "2123456711"),
        (ids.au_medicare_valid, "21234567011", "71234567011"),  # first digit 2-6 only
        (ids.ihi_valid, "8003608166690016", "8003608166690017"),
        (ids.ihi_valid, "8003608166690016", "8003638166690013"),  # prefix 800360-2 only
        (ids.ohip_valid, "1234567897", "1234567898"),
        (ids.bc_phn_valid, "9698658215", "9698658216"),
        (ids.ramq_valid, "TREM 8001 0112", "TREM 8013 0112"),  # no 13th month
        (ids.ramq_valid, "TREM 8054 3012", "TREM 8054 3112"),  # a woman's: April has 30 days
    ],
)
def test_check_digits(valid, good: str, bad: str) -> None:  # type: ignore[no-untyped-def]
    assert valid(good) and not valid(bad)


def test_nhs_check_never_issues_ten() -> None:
    # A number whose first nine digits give the check 10 is never issued, whatever its last.
    def check(stem: str) -> int:
        return 11 - sum(int(d) * (10 - i) for i, d in enumerate(stem)) % 11

    stem = next(f"{n:09d}" for n in range(1, 1000) if check(f"{n:09d}") == 10)
    assert not any(ids.nhs_number_valid(stem + d) for d in "0123456789")


@pytest.fixture(scope="module")
def detector() -> StructuredDetector:
    return StructuredDetector()


def _found(detector: StructuredDetector, text: str) -> set[tuple[str, str]]:
    return {(str(e.type), text[e.start : e.end]) for e in detector.detect(text)}


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        # The keyword may stand up to 48 characters before a checked number.
        (
            "the NHS number for the referral, the patient's is 943 476 5919",
            "MEDICAL_RECORD",
            "943 476 5919",
        ),
        ("NHS No: 943-476-5919, Ward 7B", "MEDICAL_RECORD", "943-476-5919"),
        ("CHI 1204851239 on the lab form", "MEDICAL_RECORD", "1204851239"),
        ("Medicare card 2123 45670 1, it was declined", "INSURANCE_ID", "2123 45670 1"),
        ("my OHIP number is 1234-567-897 AB", "INSURANCE_ID", "1234-567-897 AB"),
        ("BC personal health number 9698 658 215", "MEDICAL_RECORD", "9698 658 215"),
        ("carte soleil TREM 8001 0112", "INSURANCE_ID", "TREM 8001 0112"),
        ("MBI 1EG4TE5MK73 please", "INSURANCE_ID", "1EG4TE5MK73"),
        # By shape alone.
        ("the card shows 1EG4-TE5-MK73", "INSURANCE_ID", "1EG4-TE5-MK73"),
        ("IHI 8003 6081 6669 0016 was rejected", "MEDICAL_RECORD", "8003 6081 6669 0016"),
        ("record 8003608166690016", "MEDICAL_RECORD", "8003608166690016"),
        # Keywords in the cue languages.
        ("Patientennummer: 88123456", "MEDICAL_RECORD", "88123456"),
        ("numéro de dossier 2023-884512", "MEDICAL_RECORD", "2023-884512"),
        ("historia clínica 4471902", "MEDICAL_RECORD", "4471902"),
        ("polisnummer 300418275", "INSURANCE_ID", "300418275"),
        ("tarjeta sanitaria BBBB123456789012", "INSURANCE_ID", "bbbb123456789012"),
        ("numero di polizza 44718820", "INSURANCE_ID", "44718820"),
        ("numéro de sécu sur la carte vitale 185057800608491", "NATIONAL_ID", "185057800608491"),
    ],
)
def test_detects(detector: StructuredDetector, text: str, entity: str, value: str) -> None:
    found = {(t, v.lower()) for t, v in _found(detector, text)}
    assert (entity, value.lower()) in found


@pytest.mark.parametrize(
    "text",
    [
        "NHS No: 943 476 5918",  # check digit wrong
        "call NHS 111, or the surgery on 0300 123 4567",
        "chicken 1204851239",  # "chi" inside a word is no keyword
        "health card 1234-567-898",
        "the part number is 1EG4-TE5-MK7",
        "order 8003 6081 6669 0017",  # IHI prefix, Luhn wrong
    ],
)
def test_rejects(detector: StructuredDetector, text: str) -> None:
    found = _found(detector, text)
    assert not {v for t, v in found if t in ("MEDICAL_RECORD", "INSURANCE_ID")}


_ADT = (
    "MSH|^~\\&|LAB|HOSP|EHR|HOSP|202311240930||ADT^A01|MSG0001|P|2.5\r"
    "PID|1||7719204408^^^HOSP^MR~55012^^^CLINIC^PI||DOE^JANE^Q||19800101|F|||"
    "123 Main St^^Springfield^IL^62704||(217)555-0134|||||||S99912345\r"
    "NK1|1|DOE^JOHN|SPO^Spouse|123 Main St^^Springfield^IL^62704|(217)555-0199\r"
    "PV1|1|I|W7^12^1"
)


def test_hl7_patient_segment(detector: StructuredDetector) -> None:
    found = _found(detector, _ADT)
    for expected in [
        ("MEDICAL_RECORD", "7719204408"),
        ("MEDICAL_RECORD", "55012"),  # a second repetition of PID-3
        ("PERSON", "DOE"),
        ("PERSON", "JANE"),
        ("DATE_OF_BIRTH", "19800101"),
        ("STREET_ADDRESS", "123 Main St^^Springfield^IL^62704"),
        ("PHONE", "(217)555-0134"),
        ("DRIVER_LICENSE", "S99912345"),
        ("PERSON", "JOHN"),  # next of kin
        ("PHONE", "(217)555-0199"),
    ]:
        assert expected in found, expected
    # The message header, visit and issuer components are not personal.
    assert not {v for _, v in found} & {"HOSP", "MR", "ADT", "W7", "SPO"}


def test_hl7_segment_inside_an_escaped_string(detector: StructuredDetector) -> None:
    text = 'msg = "MSH|^~\\\\&|A|B\\rPID|1||555123^^^H^MR||SMITH^JOHN||19610615|M\\rPV1|1"'
    found = _found(detector, text)
    assert {
        ("MEDICAL_RECORD", "555123"),
        ("PERSON", "SMITH"),
        ("DATE_OF_BIRTH", "19610615"),
    } <= found


@pytest.mark.parametrize(
    "text",
    [
        "PID|USER|COMMAND|CPU|MEM\n4412|www|nginx|0.3|1.2",  # a process table, not HL7
        "PID|1||7719204408",  # too few fields to be a segment
    ],
)
def test_pipe_tables_are_not_hl7(detector: StructuredDetector, text: str) -> None:
    assert ids.hl7_patient_fields(text) == []


def test_a_health_number_keeps_the_request_on_the_device() -> None:
    scanner = PrivacyScanner(PrivacySettings(ner=False))
    text = "Discharge summary header please: NHS No: 943 476 5919, Ward 7B, admitted 02/10."
    assessment = scanner.assess(text)
    assert assessment.action.value == "local_only"
    assert [str(e.type) for e in assessment.entities] == ["MEDICAL_RECORD"]


# FHIR's own example Patient (hl7.org/fhir/patient-example.json), shortened.
_PATIENT = """{"resourceType": "Patient", "id": "example",
 "identifier": [{"use": "usual", "system": "urn:oid:1.2.36.146.595.217.0.1", "value": "12345"}],
 "name": [{"use": "official", "family": "Chalmers", "given": ["Peter", "James"]}],
 "telecom": [{"system": "phone", "value": "(03) 5555 6473", "use": "work"}],
 "gender": "male", "birthDate": "1974-12-25",
 "address": [{"use": "home", "line": ["534 Erewhon St"], "city": "PleasantVille"}]}"""


def test_fhir_patient(detector: StructuredDetector) -> None:
    found = _found(detector, _PATIENT)
    assert {
        ("MEDICAL_RECORD", "12345"),
        ("PERSON", "Chalmers"),
        ("PERSON", "Peter"),
        ("PERSON", "James"),
        ("PHONE", "(03) 5555 6473"),
        ("DATE_OF_BIRTH", "1974-12-25"),
        ("STREET_ADDRESS", "534 Erewhon St"),
    } <= found
    assert not {v for _, v in found} & {"example", "male", "official", "PleasantVille"}


# The same Patient in FHIR's XML form, with a name given only as text.
_PATIENT_XML = """<Patient xmlns="http://hl7.org/fhir">
  <id value="example"/>
  <identifier><use value="usual"/><system value="urn:oid:1.2.36.146.595.217.0.1"/>
    <value value="12345"/></identifier>
  <name><use value="official"/><family value="Chalmers"/><given value="Peter"/></name>
  <name><use value="usual"/><text value="Jim Chalmers"/></name>
  <telecom><system value="phone"/><value value="(03) 5555 6473"/></telecom>
  <maritalStatus><text value="Married"/></maritalStatus>
  <address><line value="534 Erewhon St"/><city value="PleasantVille"/></address>
</Patient>"""


def test_fhir_patient_in_xml(detector: StructuredDetector) -> None:
    found = _found(detector, _PATIENT_XML)
    assert {
        ("MEDICAL_RECORD", "12345"),
        ("PERSON", "Chalmers"),
        ("PERSON", "Peter"),
        ("PERSON", "Jim Chalmers"),
        ("PHONE", "(03) 5555 6473"),
        ("STREET_ADDRESS", "534 Erewhon St"),
    } <= found
    assert not {v for _, v in found} & {"example", "usual", "Married", "PleasantVille"}


def test_a_fhir_name_given_as_text(detector: StructuredDetector) -> None:
    text = (
        '{"resourceType": "RelatedPerson", "name": [{"given": ["Ann"], "family": "Lee"},'
        ' {"use": "nickname", "text": "Annie Lee"}], "relationship": [{"text": "Mother"}]}'
    )
    found = _found(detector, text)
    assert ("PERSON", "Annie Lee") in found
    assert ("PERSON", "Mother") not in found


def test_fhir_resources_about_no_person_are_left_alone() -> None:
    observation = (
        '{"resourceType": "Observation", "code": {"coding": [{"system": "http://loinc.org",'
        ' "code": "8867-4"}]}, "valueQuantity": {"value": 44, "system": "http://unitsofmeasure.org"}}'
    )
    assert ids.fhir_person_fields(observation) == []
    assert ids.fhir_person_fields(_PATIENT.replace('"Patient"', '"Organization"')) == []


@pytest.mark.parametrize(
    "text",
    [
        "    PID|1||7719204408^^^HOSP^MR||DOE^JANE||19800101|F",  # indented
        "> PID|1||7719204408^^^HOSP^MR||DOE^JANE||19800101|F",  # quoted in an e-mail
        # A log line joining the segments by spaces: PV1's fields are not PID's.
        "INFO got MSH|^~\\&|A|B|C|D|2023||ADT^A01|1|P|2.5 PID|1||7719204408^^^HOSP^MR||DOE^JANE"
        "||19800101|F PV1|1|I|W7^12",
    ],
)
def test_hl7_segments_need_not_start_a_line(detector: StructuredDetector, text: str) -> None:
    found = _found(detector, text)
    assert {
        ("MEDICAL_RECORD", "7719204408"),
        ("PERSON", "JANE"),
        ("DATE_OF_BIRTH", "19800101"),
    } <= found
    assert "W7" not in {v for _, v in found}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("my OHIP number is 1234-567-897-AB", "1234-567-897-AB"),  # with its version code
        ("MBI 1EG4 TE5 MK73", "1EG4 TE5 MK73"),
    ],
)
def test_review_11_formats(detector: StructuredDetector, text: str, value: str) -> None:
    assert ("INSURANCE_ID", value) in _found(detector, text)


def test_a_bare_nhs_mention_keys_no_number(detector: StructuredDetector) -> None:
    # "NHS" alone (NHS 111, an NHS trust) is no keyword: 1 in 11 numbers pass the check.
    assert _found(detector, "NHS 111 said fine; purchase order 9434765919") == set()


def test_an_old_number_before_the_current_one(detector: StructuredDetector) -> None:
    text = "NHS number (old 123 456 7890, now 943 476 5919)"
    found = [text[e.start : e.end] for e in detector.detect(text) if e.type == "MEDICAL_RECORD"]
    assert found == ["943 476 5919"]
