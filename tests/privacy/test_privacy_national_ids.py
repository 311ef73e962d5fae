import pytest

from hybridroute.privacy import national_ids as ids
from hybridroute.privacy.entities import EntityType
from hybridroute.privacy.recognizers import StructuredDetector


@pytest.mark.parametrize(
    ("valid", "good", "bad"),
    [
        # Published example values and one digit changed.
        (ids.steuer_id_valid, "86095742719", "86095742718"),
        (ids.nir_valid, "185057800608491", "185057800608492"),
        (ids.nir_valid, "285052A00608482", "285052B00608482"),  # Corsica: 2A is 19
        (ids.dni_valid, "12345678Z", "12345678A"),
        (ids.dni_valid, "X1234567L", "X1234567A"),
        (ids.codice_fiscale_valid, "RSSMRA85T10A562S", "RSSMRA85T10A562T"),
        (ids.bsn_valid, "111222333", "111222334"),
        (ids.pesel_valid, "44051401359", "44051401358"),
        (ids.nino_valid, "AB123456C", "QQ123456C"),  # HMRC's own examples use invalid QQ
        (ids.kvnr_valid, "A123456780", "A123456781"),
        (ids.belgian_nn_valid, "93051822361", "93051822362"),
        (ids.danish_cpr_valid, "0707614285", "3213614285"),  # no 32nd day
        (ids.danish_cpr_valid, "2902614285", "3102614285"),  # 29 Feb yes, 31 Feb no
        (ids.finnish_hetu_valid, "131052-308T", "131052-308U"),
        (ids.norwegian_fnr_valid, "01010750160", "01010750161"),
        (ids.portuguese_nif_valid, "123456789", "123456788"),
        (ids.romanian_cnp_valid, "1800101221144", "1800101221145"),
        (ids.swiss_ahv_valid, "7569217076985", "7569217076986"),
        (ids.irish_pps_valid, "1234567T", "1234567A"),
        (ids.irish_pps_valid, "1234567FA", "1234567TA"),  # the second letter counts
        (ids.brazilian_cpf_valid, "52998224725", "52998224726"),
        (ids.turkish_tckn_valid, "10000000146", "10000000147"),
        (ids.aadhaar_valid, "234123412346", "234123412347"),
        (ids.canadian_sin_valid, "130692544", "130692545"),
        (ids.chinese_ric_valid, "11010519491231002X", "110105194912310021"),
        (ids.austrian_svnr_valid, "1237010180", "1238010180"),
    ],
)
def test_check_digits(valid, good: str, bad: str) -> None:  # type: ignore[no-untyped-def]
    assert valid(good) and not valid(bad)


@pytest.fixture(scope="module")
def detector() -> StructuredDetector:
    return StructuredDetector()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Meine Steuer-ID ist 86 095 742 719.", "86 095 742 719"),
        ("numéro de sécu 1 85 05 78 006 084 91", "1 85 05 78 006 084 91"),
        ("N° sécurité sociale : 185057800608491", "185057800608491"),
        ("DNI: 12345678Z", "12345678Z"),
        ("mi NIE es X1234567L", "X1234567L"),
        ("codice fiscale RSSMRA85T10A562S", "RSSMRA85T10A562S"),
        ("intestato a RSSMRA85T10A562S", "RSSMRA85T10A562S"),
        ("mijn BSN is 1112.22.333", "1112.22.333"),
        ("PESEL: 44051401359", "44051401359"),
        ("National Insurance number AB 12 34 56 C", "AB 12 34 56 C"),
        ("numéro de registre national 93.05.18-223.61", "93.05.18-223.61"),
        ("mit CPR-nummer er 070761-4285", "070761-4285"),
        ("henkilötunnus 131052-308T", "131052-308T"),
        ("fødselsnummer: 010107 50160", "010107 50160"),
        ("o meu NIF é 123 456 789", "123 456 789"),
        ("CNP 1800101221144", "1800101221144"),
        ("AHV-Nr. 756.9217.0769.85", "756.9217.0769.85"),
        ("nova conta, 756.9217.0769.85", "756.9217.0769.85"),
        ("my PPS number is 1234567T", "1234567T"),
        ("CPF 529.982.247-25", "529.982.247-25"),
        ("segue o 529.982.247-25 do cliente", "529.982.247-25"),
        ("TC Kimlik No: 10000000146", "10000000146"),
        ("Aadhaar 2341 2341 2346", "2341 2341 2346"),
        ("Social Insurance Number 130 692 544", "130 692 544"),
        ("身份证号 11010519491231002X", "11010519491231002X"),
        ("Sozialversicherungsnummer 1237 010180", "1237 010180"),
        # Set 6's development half (thirteenth session): Hindi keywords, India's PAN.
        ("मेरा आधार नंबर 2341 2341 2346 है", "2341 2341 2346"),
        ("my PAN is ABCPE1234F", "ABCPE1234F"),
        ("और पैन ABCPE1234F है", "ABCPE1234F"),
        ("su CURP es BOXW310820HNERXN09, qué más", "BOXW310820HNERXN09"),
        ('{"id": "BOXW310820HNERXN09"}', "BOXW310820HNERXN09"),  # by shape and check digit
        ("NSS 4385 66 4068 5 asignado", "4385 66 4068 5"),
        ('{"name": "M. T.", "sin": "130 692 544"}', "130 692 544"),  # a key, not Spanish "sin"
        # The answer on a later line, as a chat joins its messages.
        ("kannst du mir sagen, wohin die Steuer-ID kommt?\n86 095 742 719", "86 095 742 719"),
        ("Podaj imię i nazwisko oraz PESEL.\nAntoni Zawadzki\n44051401359", "44051401359"),
        ("registre national belge ?\nPauline Vanderstraeten — 93.05.18-223.61", "93.05.18-223.61"),
    ],
)
def test_detects(detector: StructuredDetector, text: str, value: str) -> None:
    found = {(str(e.type), text[e.start : e.end]) for e in detector.detect(text)}
    assert ("NATIONAL_ID", value) in found


@pytest.mark.parametrize(
    "text",
    [
        "order 12345678Z shipped",  # a valid DNI shape without its keyword
        "invoice 111222333",  # passes the eleven test, no BSN keyword
        "the number 185057800608491 is long",  # a NIR check digit, but not as printed
        "Steuer-ID 86095742718",  # wrong check digit
        "National Insurance number QQ 12 34 56 C",  # HMRC's example prefix
        "ISBN 978-3-16-148410-0",
        "invoice 10000000146 paid",  # a valid TC Kimlik shape without its keyword
        "CNP 18001012211440",  # a longer number's head
        "the AHV rate is 5.3%; ref 756921707698",  # too short after its keyword
        "Aadhaar 2341 2341 2347",  # wrong Verhoeff digit
        "my PAN is ABCXE1234F",  # X is no holder kind
        "CURP BOXW310820HNERXN08",  # wrong check digit
        "ref BOXW311320HNERXN09",  # month 13
        "NSS 4385 66 4068 4",  # wrong Luhn digit
        # A later line holds the value only if the line ends with it, a check digit passes,
        # and it is at most four lines below.
        "Steuer-ID?\n86 095 742 718",
        "Steuer-ID?\nthe total was 86 095 742 719 euros",
        "PESEL?\na\nb\nc\nd\ne\n44051401359",
        # Review 15, M1: weak checks and keyword prefixes do not reach below.
        "I took a CPR course at the Red Cross.\nInvoice 2024/05\nOrder no. 1503241187",
        "My Aadhaar-linked UPI payments failed.\n12 May Rs 450 812806192057",
        "Panel inventory: unit AAACB1234F is faulty",
    ],
)
def test_rejects(detector: StructuredDetector, text: str) -> None:
    assert [e for e in detector.detect(text) if str(e.type) == "NATIONAL_ID"] == []


def test_ssn_after_its_keyword_is_not_the_tail_of_a_longer_number(
    detector: StructuredDetector,
) -> None:
    text = "N° sécurité sociale : 185057800608491"
    assert [str(e.type) for e in detector.detect(text)] == ["NATIONAL_ID"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Meine Krankenversichertennummer ist A123456780.", "A123456780"),
        ("Versichertennummer A123456780", "A123456780"),
        ("KVNR: a123456780", "a123456780"),
    ],
)
def test_detects_german_health_insurance_numbers(
    detector: StructuredDetector, text: str, value: str
) -> None:
    found = {(str(e.type), text[e.start : e.end]) for e in detector.detect(text)}
    assert ("INSURANCE_ID", value) in found


@pytest.mark.parametrize(
    "text",
    ["Versichertennummer A123456781", "Rechnungsnummer A123456780", "KVNR: A12345678"],
)
def test_rejects_other_health_insurance_numbers(detector: StructuredDetector, text: str) -> None:
    assert [e for e in detector.detect(text) if str(e.type) == "INSURANCE_ID"] == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # The first number after the keyword fails its check; the next one within reach is
        # tried too (it used to be skipped with the keyword).
        ("BSN 123456789 of 111222333", ["111222333"]),
        ("BSN (oud 123456789, nieuw 111222333)", ["111222333"]),
        # Out of the keyword's reach (24 characters): not tried.
        ("BSN 123456789, and on another form entirely: 111222333", []),
    ],
)
def test_a_later_value_within_reach_is_tried(text: str, found: list[str]) -> None:
    detected = StructuredDetector().detect(text)
    assert [text[e.start : e.end] for e in detected if e.type == EntityType.NATIONAL_ID] == found
