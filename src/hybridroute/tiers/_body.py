"""Reading an untrusted upstream's body: counted against a cap as it arrives, gzip and
deflate undone here, never more than the bytes the cap has left (plus one) at a time, so a
compression bomb is cut at the cap too; any other compression is `Malformed`."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import httpx

# The encodings `_Inflater` undoes: the only ones to ask an upstream for (httpx would also
# offer br and zstd when they are installed).
ACCEPT_ENCODING = "gzip, deflate"
# zlib's window bits for a gzip wrapper.
_GZIP_WBITS = 16 + zlib.MAX_WBITS
# Content codings registered with IANA that compress; any other name ("identity", or "none"
# that SSE endpoints send to stop proxy buffering) is read as it is, as httpx does.
_COMPRESSIONS = frozenset(
    {"gzip", "x-gzip", "deflate", "br", "zstd", "compress", "x-compress", "pack200-gzip", "exi"}
)


class Malformed(Exception):
    """The upstream body has the wrong shape; the message names the field, never its value."""


class TooLarge(Exception):
    """The upstream body passed `limit` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


async def counted(response: httpx.Response, limit: int) -> AsyncIterator[bytes]:
    """The decoded body's chunks, raising `TooLarge` as soon as they pass `limit` bytes;
    the rest stays unread, so closing the response then closes its connection."""
    inflater = _Inflater.for_encoding(response.headers.get("content-encoding", ""))
    if response.is_stream_consumed:  # read whole, and decoded, by its transport (MockTransport)
        if len(response.content) > limit:
            raise TooLarge(limit)
        yield response.content
        return
    seen = 0
    async for raw in response.aiter_raw():
        chunk = inflater.decode(raw, limit - seen + 1) if inflater else raw
        seen += len(chunk)
        if seen > limit:
            raise TooLarge(limit)
        if chunk:
            yield chunk
    if inflater:
        inflater.finish()


class _Inflater:
    """Undoes one gzip or deflate Content-Encoding, at most `max_length` bytes per read.

    `counted` asks for what the cap has left plus one, so a read that fills that has
    passed the cap and ends the body: the input zlib did not get to (`unconsumed_tail`) is
    never needed. deflate is zlib-wrapped or, from some servers, raw; the first two bytes
    tell which (httpx retries raw after a zlib error instead)."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._head = b""  # deflate only: held until two bytes tell zlib-wrapped from raw
        self._zlib = zlib.decompressobj(_GZIP_WBITS) if encoding != "deflate" else None

    @classmethod
    def for_encoding(cls, header: str) -> _Inflater | None:
        """The decoder for a Content-Encoding header; None when nothing is compressed."""
        names = [name.strip().lower() for name in header.split(",")]
        names = [name for name in names if name in _COMPRESSIONS]
        if not names:
            return None
        if len(names) == 1 and names[0] in ("gzip", "x-gzip", "deflate"):
            return cls(names[0])
        raise Malformed(f"Content-Encoding {', '.join(names)} is not supported")

    def decode(self, data: bytes, max_length: int) -> bytes:
        """What `data` decodes to, cut at `max_length` bytes (then the body is over the cap)."""
        if self._zlib is None:
            data = self._head + data
            if len(data) < 2:
                self._head = data
                return b""
            wrapped, self._head = _zlib_header(data), b""
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        try:
            out = self._zlib.decompress(data, max_length)
        except zlib.error:
            raise Malformed(f"{self._encoding} body is corrupt") from None
        if self._zlib.unused_data:  # else kept, and growing, for as long as the upstream sends
            # (a second gzip member included: valid gzip, but no HTTP server we know sends it)
            raise Malformed(f"data after the end of the {self._encoding} body")
        return out

    def finish(self) -> None:
        """At the end of the body: a compressed stream that began must have ended."""
        if self._head or (self._zlib is not None and not self._zlib.eof):
            raise Malformed(f"{self._encoding} body is truncated")


def _zlib_header(data: bytes) -> bool:
    """Whether `data` starts with a zlib header (RFC 1950: deflate, window <= 32K, check)."""
    return data[0] & 0x0F == 8 and data[0] >> 4 <= 7 and (data[0] << 8 | data[1]) % 31 == 0


async def read_at_most(response: httpx.Response, limit: int) -> bytes | None:
    """The body, or None when it passes `limit` bytes or cannot be decoded."""
    try:
        return b"".join([chunk async for chunk in counted(response, limit)])
    except (TooLarge, Malformed):
        return None
