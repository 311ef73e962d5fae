"""Hyperscan (Intel's multi-pattern engine), optional: an accelerator, never a requirement.

There is no wheel for linux/aarch64, so `hyperscan` is None there and callers fall back to
plain Python; their results must be the same either way (the privacy prefilter, the
capability keyword counts)."""

from __future__ import annotations

import threading

try:
    import hyperscan
except ImportError:  # pragma: no cover - exercised through the callers' switches in tests
    hyperscan = None  # type: ignore[assignment]


class ThreadScratch:
    """Hyperscan's scratch space for one database: it may serve one scan at a time, so one
    per thread. An instance serves a single database, compiled once (a recompiled or second
    database needs its own instance)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def get(self, database: hyperscan.Database) -> hyperscan.Scratch:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(database)
        return scratch
