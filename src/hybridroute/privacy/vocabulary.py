"""A spaCy-based model that is reloaded once its vocabulary has grown too much.

spaCy's tokenizer adds every word it has not seen to the vocabulary, for good (measured:
~780 bytes each; 180k unique tokens = +140 MB). A gateway sees endless new tokens (ids,
numbers, keys), so past a limit a fresh copy is loaded on a background thread (~0.2 s for
the small model) and swapped in; requests keep using the old one meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Model = TypeVar("Model")


class ReloadingModel(Generic[Model]):
    """Loads `load()` on first use; `check(model)` after each use swaps in a fresh copy once
    `vocabulary(model)` has grown by more than `max_new_entries`."""

    def __init__(
        self,
        load: Callable[[], Model],
        vocabulary: Callable[[Model], int],
        *,
        max_new_entries: int,
        name: str,
    ) -> None:
        self._load = load
        self._vocabulary = vocabulary
        self.max_new_entries = max_new_entries
        self.name = name
        self.reloads = 0
        self._model: Model | None = None
        self._base = 0
        self._lock = threading.Lock()
        self._reloading: threading.Thread | None = None

    def get(self) -> Model:
        """The current model, loaded once (thread-safe)."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
                self._base = self._vocabulary(self._model)
            return self._model

    def check(self, model: Model) -> None:
        """Start a background reload if `model` (the current one) has grown past the limit."""
        with self._lock:
            grown = self._vocabulary(model) - self._base > self.max_new_entries
            if not grown or self._reloading is not None or model is not self._model:
                return
            self._reloading = threading.Thread(
                target=self._reload, name=f"{self.name}-reload", daemon=True
            )
            self._reloading.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a reload in progress, if any (for tests and shutdown)."""
        thread = self._reloading
        if thread is not None:
            thread.join(timeout)

    def _reload(self) -> None:
        try:
            fresh = self._load()
        except Exception:  # keep serving with the grown model; retried on a later use
            with self._lock:
                self._reloading = None
            return
        with self._lock:
            self._model, self._base = fresh, self._vocabulary(fresh)
            self.reloads += 1
            self._reloading = None
