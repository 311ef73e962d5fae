import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroute.privacy import Action, Entity, PrivacyScanner, PrivacySettings
from hybridroute.privacy.names import NameDetector, NameList


@pytest.fixture(scope="module")
def names() -> NameList:
    return NameList.load()


@pytest.fixture(scope="module")
def detector(names: NameList) -> NameDetector:
    return NameDetector(names)


def people(detector: NameDetector, text: str) -> list[str]:
    return [text[e.start : e.end] for e in detector.detect(text)]


def test_shipped_list_has_names_words_and_places(names: NameList) -> None:
    assert len(names) > 30_000
    assert "F" in names.flags("Derek")
    assert "L" in names.flags("Eklund")
    assert "W" in names.flags("will")
    assert "P" in names.flags("Paris")
    assert names.flags("Xqzzyv") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Please forward this to Sari J. Paavolainen today", ["Sari J. Paavolainen"]),
        ("Szabina J Gelencsér paid the invoice", ["Szabina J Gelencsér"]),
        ("Amadeo Vitorović called", ["Amadeo Vitorović"]),
        ("Did John Smith's car get fixed?", ["John Smith"]),
        ("Dear Derek, thanks for the notes", ["Derek"]),
        ("Ask Borkowski about it", ["Borkowski"]),
    ],
)
def test_detects_names(detector: NameDetector, text: str, expected: list[str]) -> None:
    assert people(detector, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Will you go to Georgia in May?",
        "The United States and New York",
        "We visited Paris and Victoria last summer.",
        "Explain the Python GIL in plain English.",
        "iPhone and YouTube sales",
    ],
)
def test_common_words_and_places_are_not_names(detector: NameDetector, text: str) -> None:
    assert people(detector, text) == []


def test_lower_case_names_only_when_enabled(names: NameList) -> None:
    text = "please ask nina and patricia desrosiers, then reply"
    assert people(NameDetector(names), text) == []
    found = people(NameDetector(names, lowercase=True), text)
    assert found == ["nina", "patricia", "desrosiers"]


def test_retype_ner_organisations_that_are_names(detector: NameDetector) -> None:
    text = "Tomomi Nishiyama met Elínborg Guðmundsdóttir at Acme Bank Group in Hakuba."
    ner = [
        Entity(type="ORGANIZATION", start=0, end=16, score=0.85, source="ner"),
        Entity(type="ORGANIZATION", start=21, end=44, score=0.85, source="ner"),
        Entity(type="ORGANIZATION", start=48, end=63, score=0.85, source="ner"),
        Entity(type="LOCATION", start=67, end=73, score=0.85, source="ner"),
    ]
    retyped = {text[e.start : e.end]: e.type for e in detector.retype(ner, text)}
    assert retyped == {
        "Tomomi Nishiyama": "PERSON",
        "Elínborg Guðmundsdóttir": "PERSON",
        "Acme Bank Group": "ORGANIZATION",
        "Hakuba": "LOCATION",
    }


def test_words_listed_with_a_person_are_people(detector: NameDetector) -> None:
    text = "Our founders: Kónya, Becker and Vasquez."
    found = detector.retype(detector.detect(text), text)
    assert {text[e.start : e.end] for e in found if e.type == "PERSON"} == {
        "Kónya",
        "Becker",
        "Vasquez",
    }


def test_a_lone_first_name_alone_does_not_mask() -> None:
    fast = PrivacyScanner(PrivacySettings(ner=False))
    assessment = fast.assess("Ask Derek how the build went.")
    assert [e.type for e in assessment.entities] == ["PERSON"]
    assert assessment.action is Action.ALLOW
    assert fast.assess("My colleague Derek Eklund asked about his review.").action is Action.MASK


def test_switched_off() -> None:
    scanner = PrivacyScanner(PrivacySettings(ner=False, names=False))
    assert scanner.assess("Amadeo Vitorović called").entities == ()


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.sampled_from(["Derek", "Smith", "Paris", "The", "May", "Nishiyama", "Jeknić"]),
        st.text(alphabet="aAbBkKsSi\u0107.'\u2019-", min_size=1, max_size=9),
    ),
    st.sampled_from(["", "s", ".", "'s", "ski", "ović", "son"]),
)
def test_single_name_shortcut_matches_the_rules(names: NameList, stem: str, suffix: str) -> None:
    # `is_single_name` is the detector's one-lookup path for one-word runs.
    for word in (stem + suffix, stem.capitalize() + suffix):
        expected = names.is_lone_name(word) or names.is_unknown_surname(word)
        assert names.is_single_name(word) == expected
