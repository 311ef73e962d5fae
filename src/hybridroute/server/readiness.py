"""`/readyz`'s tier probes, shared: one probe round at a time, and its answer reused for a
moment.

`/readyz` needs no key, and each call probes every tier (`GET /models` upstream, a queue
read on the embedded model). Without sharing, a caller polling it in a loop, or many
callers at once, would send as many probes to each upstream (review 19). Callers that arrive
while a round is running wait for that round; a round younger than `max_age_s` is reused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from hybridroute.tiers.base import Health


class SharedProbe:
    """`probe()`'s latest answer, at most `max_age_s` old; concurrent callers share a round."""

    def __init__(
        self,
        probe: Callable[[], Awaitable[dict[str, Health]]],
        max_age_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = probe
        self._max_age_s = max_age_s
        self._clock = clock
        self._answer: dict[str, Health] | None = None
        self._answered_at = 0.0
        self._round: asyncio.Task[dict[str, Health]] | None = None

    async def health(self) -> dict[str, Health]:
        if self._answer is not None and self._clock() - self._answered_at < self._max_age_s:
            return self._answer
        if self._round is None:
            self._round = asyncio.ensure_future(self._run())
        # `shield`: a caller that disconnects does not cancel the round the others wait for.
        return await asyncio.shield(self._round)

    async def _run(self) -> dict[str, Health]:
        try:
            answer = await self._probe()
            self._answer, self._answered_at = answer, self._clock()
            return answer
        finally:
            self._round = None
