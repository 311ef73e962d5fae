"""A confidentiality label on the request's own content keeps it on trusted tiers; the topic
of confidentiality alone does not."""

import pytest

from hybridroute.privacy import Action, PrivacyScanner, PrivacySettings
from hybridroute.privacy.categories import detect_categories


@pytest.fixture(scope="module")
def fast() -> PrivacyScanner:
    return PrivacyScanner(PrivacySettings(ner=False))


@pytest.mark.parametrize(
    "text",
    [
        "Strictly confidential: Q3 revenue came in at 41.2M, draft the board summary.",
        "Confidential until the merger closes. Rewrite this memo for the leads.",
        "Launch plan below, it's under embargo till Monday. Tighten the wording.",
        "We haven't announced the layoffs yet; draft the manager talking points.",
        "Product pricing — strictly internal, please group it by region:",
        "Streng vertraulich: die Umsatzzahlen für das dritte Quartal",
        "Document confidentiel : le plan social de l'usine de Lyon",
        "Confidencial: el consejo aprobó el cierre de la planta.",
        "Riservato — il piano industriale non è ancora pubblico.",
        "Vertrouwelijk: de reorganisatie van afdeling Inkoop",
    ],
)
def test_a_confidentiality_label_keeps_the_request_local(fast: PrivacyScanner, text: str) -> None:
    assert "internal_document" in detect_categories(text)
    assert fast.assess(text).action is Action.LOCAL_ONLY


@pytest.mark.parametrize(
    "text",
    [
        "What does confidential mean in a legal context?",
        "Write a confidentiality agreement template for freelancers.",
        "Apple has not yet announced the price of the new phone.",
        "Changelog\n\ninternal only\n------------\nThese changes provide no user-facing effect.",
        "src: do not leak handles on debug and exit",
        "The helper is for internal use by the loader, not part of the public API.",
    ],
)
def test_the_topic_alone_is_no_label(fast: PrivacyScanner, text: str) -> None:
    assert "internal_document" not in detect_categories(text)
    assert fast.assess(text).action is Action.ALLOW
