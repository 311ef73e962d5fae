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
        # Said as people say it.
        "We're under NDA with Harlow Freight about a buyout; outline the synergies.",
        "Between us: the Tilburg site closes next spring. Draft a timeline.",
        "Our Q3 numbers aren\u2019t out until Thursday: revenue fell 9%. Phrase the note.",
        "Our partner pricing won't be public until the summit, draft the FAQ.",
        "Here's the recipe we sell, keep it to yourself: 30% oat, 5% chicory.",
        "Turn this thread into an update, nobody outside this channel knows yet.",
        "Kestrel is our internal name for the bid on the port tender.",
        "We are filing our S-1 confidentially next month; draft the staff FAQ.",
        "Intern, nicht weitergeben: das Werk in Gera schließt.",
        "Sous NDA : le groupe envisage de racheter notre filiale.",
        "Niet extern delen: we nemen de concurrent over.",
        "Não partilhar fora da direção: a fusão avança.",
        "社外秘です。来期、工場の生産ラインを停止します。",
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
        "What does it mean to be under NDA, and can I mention the project in interviews?",
        "The rivalry between us, however, goes back years.",
        "Between you and me, I think the film was too long.",
        "Niet delen door nul, zegt de leraar.",
        "Quelle est la différence entre nous et eux ?",
        "No compartir contraseñas es una buena práctica.",
    ],
)
def test_the_topic_alone_is_no_label(fast: PrivacyScanner, text: str) -> None:
    assert "internal_document" not in detect_categories(text)
    assert fast.assess(text).action is Action.ALLOW
