"""A confidentiality label on the request's own content keeps it on trusted tiers; the topic
of confidentiality alone does not."""

import pytest

from hybridroute.privacy import Action, PrivacyScanner
from hybridroute.privacy.categories import detect_categories


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
        "We signed an NDA with Contoso, so draft the integration plan for their API.",
        "Off the record: our Q3 revenue missed by 12%. Draft the board update.",
        "Keep this between us: the CEO is stepping down.",
        "Don\u2019t tell anyone yet, but our launch is on May 3. Write the press release.",
        "Turn this thread into an update, nobody outside this channel knows yet.",
        "Kestrel is our internal name for the bid on the port tender.",
        "Intern, nicht weitergeben: das Werk in Gera schließt.",
        "Bitte nicht weitergeben: der neue Preis ist 49 Euro.",
        "Ne pas diffuser : le plan de restructuration prévoit 200 départs.",
        "Nous sommes sous NDA avec le groupe Marnier, prépare les questions.",
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
        # Review 15: idioms and negated verbs are everyday prompts.
        "Our exam results aren't out yet and I'm anxious. Any tips?",
        "Can I submit feedback confidentially on Glassdoor?",
        "What does the phrase 'keep it to yourself' mean?",
        "Between us: a short poem about two friends",
        "Under NDA: what happens if I break one?",
        "Warum kann Outlook meine E-Mails nicht weiterleiten?",
        "Consejos para no divulgar datos personales en redes sociales",
        "Waarom kan ik deze e-mail niet doorsturen in Gmail?",
        "Jak nie udostępniać lokalizacji na iPhonie?",
        "極秘任務に挑むスパイの短編小説を書いてください。",
        "The vet said the dog must not leave the room for two days. Ideas to entertain him?",
        "Niet delen door nul, zegt de leraar.",
        "Quelle est la différence entre nous et eux ?",
        "No compartir contraseñas es una buena práctica.",
    ],
)
def test_the_topic_alone_is_no_label(fast: PrivacyScanner, text: str) -> None:
    assert "internal_document" not in detect_categories(text)
    assert fast.assess(text).action is Action.ALLOW
