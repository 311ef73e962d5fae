import pytest

from hybridroute.privacy import national_ids as ids
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
