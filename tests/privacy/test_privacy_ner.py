import pytest

from hybridroute.privacy import Action, PrivacyScanner, PrivacySettings
from hybridroute.privacy.ner import SpacyNer
from hybridroute.privacy.presidio import PresidioDetector


@pytest.fixture(scope="module")
def full() -> PrivacyScanner:
    return PrivacyScanner(PrivacySettings())


def test_names_found_and_masked_in_personal_context(full: PrivacyScanner) -> None:
    text = "My colleague Maria Gonzalez from Madrid asked about her review."
    assessment = full.assess(text)
    people = [text[e.start : e.end] for e in assessment.entities if e.type == "PERSON"]
    assert people == ["Maria Gonzalez"]
    assert assessment.action is Action.MASK


def test_public_figure_alone_is_allowed(full: PrivacyScanner) -> None:
    assert full.assess("Summarise Abraham Lincoln's Gettysburg Address.").action is Action.ALLOW


def test_batch_matches_single(full: PrivacyScanner) -> None:
    texts = ["Dear Tom Baker, call 212-555-0187", "plain text", "Explain recursion."]
    assert full.assess_many(texts) == [full.assess(t) for t in texts]


def test_vocabulary_growth_triggers_a_reload() -> None:
    # spaCy keeps every new word in its vocabulary; past the limit a fresh pipeline is
    # swapped in, and detection goes on unchanged.
    ner = SpacyNer(window_words=0, max_new_lexemes=300)
    text = "My colleague Maria Gonzalez from Madrid asked about her review."
    before = sorted((e.type, e.start, e.end) for e in ner.detect(text))
    grown = ner.load()
    # One call past the limit (more calls could grow the fresh copy past it again).
    ner.detect(" ".join(f"Tok{i}q" for i in range(400)))
    ner.pipeline.wait(timeout=30)
    assert ner.pipeline.reloads == 1
    assert ner.load() is not grown
    assert len(ner.load().vocab) < len(grown.vocab)
    assert sorted((e.type, e.start, e.end) for e in ner.detect(text)) == before


def test_presidio_engine_reloads_too() -> None:
    presidio = PresidioDetector(max_new_lexemes=300)
    text = "My colleague Maria Gonzalez from Madrid asked about her review."
    before = sorted((e.type, e.start, e.end) for e in presidio.detect(text))
    grown = presidio.analyzer.get()
    presidio.detect(" ".join(f"Tok{i}q" for i in range(400)))
    presidio.analyzer.wait(timeout=60)
    assert presidio.analyzer.reloads == 1
    assert presidio.analyzer.get() is not grown
    assert sorted((e.type, e.start, e.end) for e in presidio.detect(text)) == before
