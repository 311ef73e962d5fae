"""Server-sent events parsing for OpenAI-style streams.

Kept tiny and strict: we only need `data:` lines, blank-line event boundaries and the
`[DONE]` sentinel. A stream that ends without `[DONE]` is reported by the caller.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

DONE = "[DONE]"


async def iter_sse_data(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """Yield the joined `data:` payload of each event (comments and other fields skipped)."""
    data: list[str] = []
    async for line in lines:
        if line == "":
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue  # comment / keep-alive
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)
