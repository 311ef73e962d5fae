"""PrivacyScanner: run the detectors, score the request, pick the action; fail closed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol, cast, runtime_checkable

from hybridroute.privacy.assessment import Action, Assessment
from hybridroute.privacy.calibration import calibrate, personal_cues
from hybridroute.privacy.categories import detect_categories
from hybridroute.privacy.cued_names import names_after_cues
from hybridroute.privacy.entities import Entity
from hybridroute.privacy.examples import without_examples
from hybridroute.privacy.folding import FoldedText, fold
from hybridroute.privacy.health_facts import health_facts_about_someone
from hybridroute.privacy.names import NameDetector
from hybridroute.privacy.ner import DetectorTimeout, SpacyNer
from hybridroute.privacy.presidio import PresidioDetector
from hybridroute.privacy.recognizers import StructuredDetector
from hybridroute.privacy.scoring import action_for, resolve_overlaps, score_request
from hybridroute.privacy.settings import PrivacySettings


@runtime_checkable
class Detector(Protocol):
    """Anything that finds entities in a text. May raise; the scanner then fails closed."""

    name: str

    def detect(self, text: str) -> Sequence[Entity]: ...


@runtime_checkable
class BatchDetector(Detector, Protocol):
    """A detector that is faster on many texts at once (spaCy's `nlp.pipe`)."""

    def detect_many(self, texts: Sequence[str]) -> Sequence[Sequence[Entity]]: ...


@runtime_checkable
class GuidedDetector(BatchDetector, Protocol):
    """A batch detector that skips what the detectors before it found: `detect_many(texts,
    known)` with `known[i]` the entities found so far in `texts[i]` (spaCy NER)."""

    guided: bool

    def detect_many(
        self, texts: Sequence[str], known: Sequence[Sequence[Entity]] | None = None
    ) -> Sequence[Sequence[Entity]]: ...


class PrivacyScanner:
    """Assesses texts for sensitive data. Cheap to construct; NER loads on first use."""

    def __init__(
        self,
        settings: PrivacySettings | None = None,
        *,
        detectors: Sequence[Detector] | None = None,
        folding: bool = True,
    ) -> None:
        self.settings = settings if settings is not None else PrivacySettings()
        # Off only to measure a detector on the raw text (the benchmark's stock Presidio).
        self.folding = folding
        self.detectors = (
            tuple(detectors) if detectors is not None else default_detectors(self.settings)
        )
        # isinstance() against a runtime Protocol walks its attributes (~0.1 ms per request
        # for three detectors), so each detector's kind is worked out once here.
        self._kinds = tuple(
            (
                isinstance(d, BatchDetector),
                isinstance(d, GuidedDetector) and bool(getattr(d, "guided", False)),
            )
            for d in self.detectors
        )
        # The gazetteer also corrects NER labels (a foreign name tagged ORG is a PERSON).
        self._names = next((d for d in self.detectors if isinstance(d, NameDetector)), None)

    def assess(self, text: str) -> Assessment:
        """Never raises: a failing or slow detector yields `local_only` with a reason."""
        return self.assess_many([text])[0]

    def assess_many(self, texts: Sequence[str]) -> list[Assessment]:
        """Assess a batch; batch-capable detectors see all texts at once."""
        if not self.settings.enabled:
            return [_allowed() for _ in texts]
        found: list[list[Entity]] = [[] for _ in texts]
        failures: list[list[str]] = [[] for _ in texts]
        oversized = {i for i, t in enumerate(texts) if len(t) > self.settings.max_chars}
        for index in oversized:
            failures[index].append("too_long")
        todo = [i for i in range(len(texts)) if i not in oversized]
        # Detectors read the folded view (full-width digits as ASCII...); spans map back.
        views = [
            fold(t) if self.folding and i not in oversized else FoldedText(t, t)
            for i, t in enumerate(texts)
        ]
        for detector, (batch, guided) in zip(self.detectors, self._kinds, strict=True):
            subset = [views[i].text for i in todo]
            _run_detector(detector, subset, todo, found, failures, batch=batch, guided=guided)
        return [self._verdict(views[i], found[i], failures[i]) for i in range(len(texts))]

    def _verdict(self, view: FoldedText, entities: list[Entity], failures: list[str]) -> Assessment:
        text = view.text
        try:
            settings = self.settings
            categories = detect_categories(text) if settings.categories and not failures else ()
            cues = None
            if self._names is not None:
                entities = self._names.retype(entities, text)
                # Both the names after cues and the calibration read the cues: find them once.
                cues = tuple(personal_cues(text))
                entities += names_after_cues(
                    text, self._names.names, entities, score=self._names.score, cues=cues
                )
            kept = calibrate(entities, text, categories, cues)
            kept = health_facts_about_someone(kept, settings.min_score)
            kept = [e for e in kept if e.score >= settings.min_score]
            kept = without_examples(text, kept)  # fictional numbers, manuals' samples
            kept = resolve_overlaps(kept, settings)
            values = [text[e.start : e.end] for e in kept]
            score = score_request(kept, categories, settings, values)
            if view.changed:
                kept = [_in_original(e, view) for e in kept]
        except Exception:  # a bug here must not let data out: fail closed
            failures = [*failures, "scoring"]
            kept, categories, score = [], (), None
        if failures or score is None:
            return Assessment(
                entities=tuple(kept),
                sensitivity=1.0,
                action=Action.LOCAL_ONLY,
                categories=tuple(categories),
                failed=True,
                reasons=tuple(f"detector_failed:{name}" for name in failures),
            )
        return Assessment(
            entities=tuple(kept),
            sensitivity=score.sensitivity,
            action=action_for(score.sensitivity, settings),
            categories=tuple(categories),
            reasons=score.reasons,
        )


def _run_detector(
    detector: Detector,
    texts: list[str],
    indices: list[int],
    found: list[list[Entity]],
    failures: list[list[str]],
    *,
    batch: bool,
    guided: bool,
) -> None:
    """Run one detector over the batch, recording per-text failures instead of raising."""
    if batch and (len(texts) > 1 or guided):
        try:
            if guided:
                known = [list(found[index]) for index in indices]
                results = cast(GuidedDetector, detector).detect_many(texts, known)
            else:
                results = cast(BatchDetector, detector).detect_many(texts)
            for index, entities in zip(indices, results, strict=True):
                found[index].extend(entities)
            return
        except DetectorTimeout:
            for index in indices:
                failures[index].append(detector.name)
            return
        except Exception:
            pass
    for index, text in zip(indices, texts, strict=True):
        try:
            found[index].extend(detector.detect(text))
        except Exception:  # any detector error means we cannot vouch for the text
            failures[index].append(getattr(detector, "name", type(detector).__name__))


def _in_original(entity: Entity, view: FoldedText) -> Entity:
    start, end = view.span(entity.start, entity.end)
    return replace(entity, start=start, end=end)


def _allowed() -> Assessment:
    return Assessment(entities=(), sensitivity=0.0, action=Action.ALLOW, reasons=("disabled",))


def default_detectors(settings: PrivacySettings) -> tuple[Detector, ...]:
    """Patterns always, the name gazetteer unless switched off; NER (spaCy or full Presidio)
    in full mode."""
    detectors: list[Detector] = [StructuredDetector()]
    if settings.names:
        detectors.append(NameDetector(lowercase=settings.ner))
    if settings.ner and settings.ner_engine == "spacy":
        detectors.append(
            SpacyNer(
                model=settings.ner_model,
                timeout_s=settings.ner_timeout_ms / 1000.0,
                chunk_chars=settings.ner_chunk_chars,
                window_words=settings.ner_window_words,
            )
        )
    elif settings.ner:
        detectors.append(PresidioDetector(model=settings.ner_model))
    return tuple(detectors)
