"""Round from held-out set 4's development half: an address's city and postcode, birth dates a
clause after their label, sort codes, a card before its expiry, a Chinese id after its keyword."""

import pytest

from hybridroute.privacy.entities import EntityType
from hybridroute.privacy.recognizers import StructuredDetector


@pytest.fixture(scope="module", params=[True, False], ids=["prefilter", "no-prefilter"])
def detector(request: pytest.FixtureRequest) -> StructuredDetector:
    return StructuredDetector(prefilter=request.param)


def _found(detector: StructuredDetector, text: str, kind: EntityType) -> list[str]:
    return [text[e.start : e.end] for e in detector.detect(text) if e.type == kind]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "Notice to my tenant at 27 Ashgrove Road, Leeds LS6 1AB. The lease",
            "27 Ashgrove Road, Leeds LS6 1AB",
        ),
        (
            "Nueva dirección: Calle de Alcalá 12, 2º derecha, 28014 Madrid. Gracias",
            "Calle de Alcalá 12, 2º derecha, 28014 Madrid",
        ),
        (
            "ship it to 450 N Lake Shore Dr, Chicago, IL 60611, thanks",
            "450 N Lake Shore Dr, Chicago, IL 60611",
        ),
        ("Adres: ul. Krótka 8/3, 00-950 Warszawa.", "ul. Krótka 8/3, 00-950 Warszawa"),
        ("Rua Augusta 100, Lisboa Phone: 21 000 0000", "Rua Augusta 100, Lisboa"),
        # A capitalised word that opens the next clause is not a place.
        ("I live at 12 Main Street, But I move soon", "12 Main Street"),
    ],
)
def test_an_address_runs_to_its_city_and_postcode(
    detector: StructuredDetector, text: str, address: str
) -> None:
    assert _found(detector, text, EntityType.STREET_ADDRESS) == [address]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("DOB on my driver's licence is 04/15/1990, the DMV has 1991", "04/15/1990"),
        ("Urodziłam się 21 lipca 1985 r. w Gdańsku", "21 lipca 1985"),
        ("Mi abuela nació el 3 de febrero de 1933 en Oviedo.", "3 de febrero de 1933"),
    ],
)
def test_birth_dates(detector: StructuredDetector, text: str, date: str) -> None:
    assert _found(detector, text, EntityType.DATE_OF_BIRTH) == [date]


@pytest.mark.parametrize(
    "text",
    [
        # Being born, a clause away: a public figure's biography, not a record.
        "He was born in Honolulu, Hawaii, on August 4, 1961.",
        "La nación declaró la independencia el 9 de julio de 1816.",
        "see section b. 2 of the contract",
    ],
)
def test_no_birth_date_without_a_close_cue(detector: StructuredDetector, text: str) -> None:
    assert _found(detector, text, EntityType.DATE_OF_BIRTH) == []


def test_a_sort_code_and_a_card_before_its_expiry(detector: StructuredDetector) -> None:
    text = "Refund to sort code 20-00-00, or her card 4247 9614 6284 8548 11/28 902."
    assert _found(detector, text, EntityType.ROUTING_NUMBER) == ["20-00-00"]
    assert _found(detector, text, EntityType.CREDIT_CARD) == ["4247 9614 6284 8548"]
    # A run of groups that is no card at any group boundary stays unflagged.
    assert _found(detector, "ids 1234 5678 9012 3456 7", EntityType.CREDIT_CARD) == []


def test_a_chinese_id_right_after_its_keyword(detector: StructuredDetector) -> None:
    text = "申请人王丽华\uff0c身份证号330106199009159298\uff0c现就职于杭州"  # full-width commas
    assert _found(detector, text, EntityType.NATIONAL_ID) == ["330106199009159298"]


def test_an_iban_after_an_amount(detector: StructuredDetector) -> None:
    # The IBAN pattern started on the amount's digits ("20 naar be66…"), failed the check
    # there and skipped the IBAN inside its match.
    text = "een voorschot van €120 naar BE66 3104 2888 1243, maar"
    assert _found(detector, text, EntityType.IBAN) == ["BE66 3104 2888 1243"]
