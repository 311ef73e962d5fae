"""Stock Presidio, configured to stay offline: the engine option and the benchmarks' peer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.ner import DEFAULT_MODEL
from hybridroute.privacy.vocabulary import ReloadingModel


def build_presidio_analyzer(model: str = DEFAULT_MODEL) -> Any:
    """A Presidio `AnalyzerEngine` on the installed spaCy model (its default would download
    en_core_web_lg at run time)."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    configuration = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": model}],
    }
    nlp_engine = NlpEngineProvider(nlp_configuration=configuration).create_engine()
    return AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])


class PresidioDetector:
    """Presidio's full analyzer as a detector (slower; for comparison and as an option)."""

    name = "presidio"

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        threshold: float = 0.0,
        max_new_lexemes: int = 100_000,
    ) -> None:
        self.model = model
        self.threshold = threshold
        # Its spaCy pipeline grows a vocabulary like ours (see vocabulary.py).
        self.analyzer: ReloadingModel[Any] = ReloadingModel(
            lambda: build_presidio_analyzer(self.model),
            lambda analyzer: len(analyzer.nlp_engine.nlp["en"].vocab),
            max_new_entries=max_new_lexemes,
            name="presidio",
        )

    def detect(self, text: str) -> list[Entity]:
        analyzer = self.analyzer.get()
        results = analyzer.analyze(text=text, language="en", score_threshold=self.threshold)
        self.analyzer.check(analyzer)
        return to_entities(results)


def to_entities(results: Sequence[Any]) -> list[Entity]:
    """Presidio `RecognizerResult`s as hybridroute entities (unknown types keep their name)."""
    return [
        Entity(
            type=PRESIDIO_TYPES.get(r.entity_type, r.entity_type),
            start=r.start,
            end=r.end,
            score=float(r.score),
            source="presidio",
        )
        for r in results
    ]


PRESIDIO_TYPES: dict[str, str] = {
    "PERSON": EntityType.PERSON,
    "LOCATION": EntityType.LOCATION,
    "ORGANIZATION": EntityType.ORGANIZATION,
    "NRP": EntityType.NRP,
    "EMAIL_ADDRESS": EntityType.EMAIL,
    "PHONE_NUMBER": EntityType.PHONE,
    "CREDIT_CARD": EntityType.CREDIT_CARD,
    "US_SSN": EntityType.US_SSN,
    "IBAN_CODE": EntityType.IBAN,
    "IP_ADDRESS": EntityType.IP_ADDRESS,
    "US_PASSPORT": EntityType.PASSPORT,
    "US_DRIVER_LICENSE": EntityType.DRIVER_LICENSE,
    "US_BANK_NUMBER": EntityType.BANK_ACCOUNT,
    "MEDICAL_LICENSE": EntityType.MEDICAL_RECORD,
}
