import re

from hypothesis import given
from hypothesis import strategies as st

from hybridroute.privacy import Entity, PrivacySettings
from hybridroute.privacy.categories import DEFAULT_RULES, detect_categories
from hybridroute.privacy.matching import lower_aligned, matches
from hybridroute.privacy.ner import ner_windows
from hybridroute.privacy.recognizers import StructuredDetector
from hybridroute.privacy.scoring import contribution, resolve_overlaps

NUMBERISH = st.text(alphabet="0123456789 -.+()abx:\n", max_size=60)


def test_lower_aligned_keeps_offsets() -> None:
    text = "İstanbul ÅSA Straße"
    lowered = lower_aligned(text)
    assert len(lowered) == len(text)
    assert lowered.endswith("åsa straße")


@given(NUMBERISH)
def test_not_after_equals_a_look_behind(text: str) -> None:
    reference = re.compile(r"(?<![\w.+-])\d(?:[ -]?\d){2,5}(?![\w]|[.-]\d)")
    fast = re.compile(r"\d(?:[ -]?\d){2,5}(?![\w]|[.-]\d)")
    expected = [m.span() for m in reference.finditer(text)]
    assert [m.span() for m in matches(fast, text, re.compile(r"[\w.+-]"))] == expected


def test_number_windows_do_not_cut_a_phone_number() -> None:
    text = "Hungary 34796\n(37) 788-063-Office\\,07700 063 966-Fax"
    phones = [text[e.start : e.end] for e in StructuredDetector().detect(text) if e.type == "PHONE"]
    assert phones == ["(37) 788-063", "07700 063 966"]


@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(1, 8), st.sampled_from(["PERSON", "US_SSN"])),
        max_size=12,
    )
)
def test_resolve_overlaps_matches_pairwise_rule(spans: list[tuple[int, int, str]]) -> None:
    settings = PrivacySettings()
    entities = [Entity(type=t, start=s, end=s + n, score=0.9) for s, n, t in spans]
    ranked = sorted(
        entities, key=lambda e: (-contribution(e, settings), -(e.end - e.start), e.start)
    )
    expected: list[Entity] = []
    for entity in ranked:
        if not any(entity.overlaps(other) for other in expected):
            expected.append(entity)
    assert resolve_overlaps(entities, settings) == sorted(expected, key=lambda e: e.start)


def test_combined_category_scan_equals_each_rule() -> None:
    texts = [
        "Keep this local: our internal SDK leaks the payroll, my lawyer says.",
        "Review our proprietary pricing service; the board meeting notes are attached.",
        "What are symptoms of diabetes and how does a mortgage work?",
        "Your source code is fine; the hour is late.",
        "",
    ]
    for text in texts:
        lowered = text.lower()
        one_by_one = tuple(r.category.value for r in DEFAULT_RULES if r.matches(text, lowered))
        assert sorted(detect_categories(text)) == sorted(one_by_one)


def test_ner_windows_surround_capitalised_words() -> None:
    text = (
        "The cat sat on the mat. What is this? I think that John Smith lives in a quiet "
        "house far away from everything and nobody knows it, in Paris."
    )
    spans = [text[a:b] for a, b in ner_windows(text, 3)]
    assert spans == ["I think that John Smith lives in a", "knows it, in Paris."]
    assert ner_windows(text, 0) == [(0, len(text))]
    assert ner_windows("all lower case here", 5) == []
