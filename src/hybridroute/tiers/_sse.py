"""Server-sent events parsing for OpenAI-style streams.

Kept tiny and strict: we only need `data:` lines, blank-line event boundaries and the
`[DONE]` sentinel. A stream that ends without `[DONE]` is reported by the caller. These
buffer at most the text they are given (an unfinished line, an unfinished event), so the
caller bounds their memory by bounding that text, as the OpenAI tier does by counting bytes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

DONE = "[DONE]"

# The SSE line ends. Not str.splitlines(): U+2028 and friends may stand raw in a JSON string.
_LINE_END = re.compile(r"\r\n|\r|\n")


async def iter_lines(texts: AsyncIterator[str]) -> AsyncIterator[str]:
    """The lines of a text stream, without their ends (CRLF, LF or CR, as SSE defines them)."""
    line: list[str] = []  # the unfinished line, in pieces
    held_cr = ""  # a trailing CR is held back: the next piece may start with its LF
    async for text in texts:
        text = held_cr + text
        held_cr = "\r" if text.endswith("\r") else ""
        *ended, rest = _LINE_END.split(text[:-1] if held_cr else text)
        for piece in ended:
            line.append(piece)
            yield "".join(line)
            line = []
        if rest:
            line.append(rest)
    if line or held_cr:
        yield "".join(line)


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
