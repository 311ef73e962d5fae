"""What a check said of a grammar, remembered for repeated schemas.

A grammar is kept as its SHA-256 only: grammars reach hundreds of kB and carry the schema's
values, which the memo should not keep.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class GrammarMemo(Generic[T]):
    """The verdicts of `check` on the newest `size` grammars; thread-safe (the tiers' worker
    threads share one). A verdict is computed outside the lock."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._verdicts: OrderedDict[bytes, T] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._verdicts)

    def verdict(self, grammar: str, check: Callable[[str], T]) -> T:
        key = hashlib.sha256(grammar.encode("utf-8")).digest()
        with self._lock:
            if key in self._verdicts:  # a verdict may be None ("no problem")
                self._verdicts.move_to_end(key)
                return self._verdicts[key]
        verdict = check(grammar)
        with self._lock:
            self._verdicts[key] = verdict
            if len(self._verdicts) > self.size:
                self._verdicts.popitem(last=False)
        return verdict
