import pytest

from hybridroute.privacy import Action, PrivacyScanner, PrivacySettings


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
