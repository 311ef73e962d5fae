"""Keyed identifiers in a table column headed by their keyword (CSV, TSV, Markdown), with no
keyword on the value's line (review 11, HIGH 2: health numbers in a table column leaked)."""

import pytest

from hybridroute.privacy import Action, PrivacyScanner
from hybridroute.privacy.entities import EntityType
from hybridroute.privacy.id_columns import as_heading
from hybridroute.privacy.recognizers import StructuredDetector


def _found(detector: StructuredDetector, text: str, kind: EntityType) -> list[str]:
    return [text[e.start : e.end] for e in detector.detect(text) if e.type == kind]


_MEDICARE_TABLE = (
    "| Name | Medicare No. | DOB |\n|---|---|---|\n| A. Lee | 2123 45670 1 | 12/03/1984 |\n"
)


@pytest.mark.parametrize(
    ("text", "kind", "values"),
    [
        # NHS numbers (the published example and a self-completed one) in a CSV export.
        (
            "Please dedupe this list:\npatient,nhs_number,ward\nJane Roe,943 476 5919,B2\n"
            "Tom Hall,1753760003,C1\n",
            EntityType.MEDICAL_RECORD,
            ["943 476 5919", "1753760003"],
        ),
        # camelCase header, the column not first.
        ("id,NHSNumber\n1,9434765919\n", EntityType.MEDICAL_RECORD, ["9434765919"]),
        # A Markdown table: the Australian Medicare card and the birth date, each under its
        # header; the rule line is skipped.
        (
            _MEDICARE_TABLE,
            EntityType.INSURANCE_ID,
            ["2123 45670 1"],
        ),
        (
            _MEDICARE_TABLE,
            EntityType.DATE_OF_BIRTH,
            ["12/03/1984"],
        ),
        # A Dutch BSN in a TSV, a Polish PESEL after a semicolon header.
        ("BSN\tnaam\n111222333\tJan\n", EntityType.NATIONAL_ID, ["111222333"]),
        ("imie;pesel\nAnna;44051401359\n", EntityType.NATIONAL_ID, ["44051401359"]),
        # An SSN column without dashes, which only its keyword marks as one.
        ("name,ssn\nBob,536221234\n", EntityType.US_SSN, ["536221234"]),
        # A patient-id column of plain numbers, quoted CSV cells.
        ('"MRN","Ward"\n"00482913","4B"\n', EntityType.MEDICAL_RECORD, ["00482913"]),
    ],
)
def test_values_under_an_identifier_header_are_found(
    detector: StructuredDetector, text: str, kind: EntityType, values: list[str]
) -> None:
    assert _found(detector, text, kind) == values


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # The check digit fails: not an NHS number.
        ("patient,nhs_number\nJane Roe,9434765918\n", EntityType.MEDICAL_RECORD),
        # A column headed by no identifier's keyword.
        ("order,number\n1,9434765919\n", EntityType.MEDICAL_RECORD),
        # "born" in prose with commas: the next line is no row of a table.
        (
            "She was born in Leeds, and\nmoved in 12/03/1999, to York, then Hull\n",
            EntityType.DATE_OF_BIRTH,
        ),
        # "nie" inside a word ("Niederlassung") names no Spanish NIE column.
        ("Niederlassung,Kennung\nBerlin,12345678Z\n", EntityType.NATIONAL_ID),
        # A header alone, no rows.
        ("patient,nhs_number\n", EntityType.MEDICAL_RECORD),
    ],
)
def test_no_identifier_without_a_named_column_and_a_valid_value(
    detector: StructuredDetector, text: str, kind: EntityType
) -> None:
    assert _found(detector, text, kind) == []


def test_a_table_of_nhs_numbers_stays_on_the_device(fast: PrivacyScanner) -> None:
    text = "Summarise:\n| patient | nhs no |\n|---|---|\n| J. Roe | 943 476 5919 |\n"
    assessment = fast.assess(text)
    assert assessment.action is Action.LOCAL_ONLY
    assert "943 476 5919" not in " ".join(assessment.reasons)


@pytest.mark.parametrize(
    ("keywords", "heading"),
    [
        (r"nhs\s*(?:no|number)", r"nhs[\s_.-]{0,3}(?:no|number)"),
        (r"cod\s{1,3}numeric", r"cod[\s_.-]{1,3}numeric"),
        (r"ni\s+(?:number|no\.?)", r"ni[\s_.-]{1,3}(?:number|no\.?)"),
        # A gap inside a character class stays as it is.
        (r"assurance[\s-]maladie", r"assurance[\s-]maladie"),
    ],
)
def test_keywords_as_a_header_writes_them(keywords: str, heading: str) -> None:
    assert as_heading(keywords) == heading


def test_a_quoted_cell_holding_the_separator_keeps_the_row(detector: StructuredDetector) -> None:
    text = 'patient,nhs_number,notes\nJane Roe,9434765919,"ward B2, bed 4"\n'
    assert _found(detector, text, EntityType.MEDICAL_RECORD) == ["9434765919"]


def test_the_column_gate_stays_windowed() -> None:
    # Every keyed recognizer's keywords join the gate; one unbounded keyword (`[\s-]*`)
    # made it match "anywhere" and the reader then searched every text whole (+1 ms on
    # 1,000 tokens of prose).
    detector = StructuredDetector()
    hits = detector.prefilter.scan("Order summary\nname,ssn\nBob,536221234\n")
    assert hits is not None
    assert hits.windows[len(detector.recognizers)] not in (None, ())  # the first after them
