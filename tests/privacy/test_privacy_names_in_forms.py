"""Fifteenth session: a surname written first in capitals ("KOWALSKI Marta") after a personal
cue or a patient field, names in Chinese, Japanese and Korean script after a name label, and
genealogy's "b." before a full date of birth."""

import pytest

from hybridroute.privacy import PrivacyScanner
from hybridroute.privacy.entities import EntityType
from hybridroute.privacy.recognizers import StructuredDetector


def _people(scanner: PrivacyScanner, text: str) -> list[str]:
    found = scanner.assess(text).entities
    return [text[e.start : e.end] for e in found if e.type == EntityType.PERSON]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Patient: KOWALSKI Marta, diagnosis: type 2 diabetes", "KOWALSKI Marta"),
        ("Patient: DUPONT Jean, diagnosis: asthma", "DUPONT Jean"),  # "Jean" is also a word
        ("my tenant NOWAK Anna has not paid since March", "NOWAK Anna"),
        ("Pacjentka: NOWAK Anna, lat 54", "NOWAK Anna"),
        ("Name: KOWALSKI Marta", "KOWALSKI Marta"),
    ],
)
def test_a_surname_in_capitals_before_the_given_name(
    fast: PrivacyScanner, text: str, name: str
) -> None:
    assert name in _people(fast, text)


@pytest.mark.parametrize(
    "text",
    [
        "Patient: NOTE John",  # an English word in capitals
        "patient: HIV Anna",  # an acronym of three letters
        "my colleague IBM Will",  # an organisation, then a given name that is also a word
        "patient: stable, afebrile",
    ],
)
def test_capitals_that_are_no_surname(fast: PrivacyScanner, text: str) -> None:
    assert not any(" " in name and name.split()[0].isupper() for name in _people(fast, text))


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Name: Tom Ellis, b. 2006-05-18, lives in Leeds", "2006-05-18"),
        ("Ada Ellis (b. 10 December 1915) was my grandmother", "10 December 1915"),
        ("Ellis; b. 18.05.2006", "18.05.2006"),
    ],
)
def test_b_before_a_full_date_is_a_birth_date(
    detector: StructuredDetector, text: str, date: str
) -> None:
    found = [(e.type, text[e.start : e.end]) for e in detector.detect(text)]
    assert (EntityType.DATE_OF_BIRTH, date) in found


@pytest.mark.parametrize(
    "text",
    [
        "Which date? a. 2006-05-17\nb. 2006-05-18",  # an enumeration's second option
        "Finished the job. 2006-05-18 was the deadline",
        "Ada Lovelace (b. 1815) wrote the first program",  # a year is no date of birth
    ],
)
def test_other_b_dots_are_no_birth_date(detector: StructuredDetector, text: str) -> None:
    assert not any(e.type == EntityType.DATE_OF_BIRTH for e in detector.detect(text))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("\u6c0f\u540d\uff1a\u7530\u5cf6 \u8aa0\u4e00\u300072\u6b73", "\u7530\u5cf6 \u8aa0\u4e00"),
        (
            "\u5f53\u524d\u5904\u7406\u7684\u4e1a\u4e3b\uff1a\u4e25\u5fd7\u521a\uff0c3\u680b",
            "\u4e25\u5fd7\u521a",
        ),
        ("\u59d3\u540d: \u738b\u5c0f\u660e", "\u738b\u5c0f\u660e"),
        ("\uc131\uba85: \uae40\ubbfc\uc900, \ud658\uc790", "\uae40\ubbfc\uc900"),
        ("\uace0\uac1d: \uae40\ubbfc\uc900", "\uae40\ubbfc\uc900"),
    ],
)
def test_a_name_in_cjk_script_after_its_label(fast: PrivacyScanner, text: str, name: str) -> None:
    assert name in _people(fast, text)


@pytest.mark.parametrize(
    "text",
    [
        "\u59d3\u540d\uff1a\u8bf7\u586b\u5199\u60a8\u7684\u59d3\u540d",  # please fill in your name
        "\u59d3\u540d\uff1a\u5f20\u4e09",  # Zhang San, the Chinese John Doe
        "\u60a3\u8005\uff1a\u5de6\u819d\u75bc\u75db",  # patient: left knee pain
        "\u60a3\u8005\uff1a\u5de6\u819d\u75bc\u75db\u4e09\u5929",  # ... for three days
        "\u540d\u524d\u3092\u5165\u529b\u3057\u3066\u304f\u3060\u3055\u3044",  # enter your name
    ],
)
def test_cjk_labels_followed_by_no_name(fast: PrivacyScanner, text: str) -> None:
    assert _people(fast, text) == []
