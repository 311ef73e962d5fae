"""`hybridroute chat` as a user runs it against a real loopback upstream: what an (untrusted)
tier's answer may do to a terminal, and requests refused before anything is sent."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.test_cli import BIN, run

# What a hostile upstream answers: OSC 52 (writes the clipboard), clear screen, hidden text,
# a C1 CSI (U+009B), a lone carriage return (overwrites the line), DEL, NUL, and a harmless
# tab and "\r\n".
HOSTILE = (
    "Sure.\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\x1b[8mhidden\x1b[0m"
    "\x9b31mred\rover\tTab\x7f\x00end\r\nline two"
)
# The same as a terminal must show it.
SHOWN = (
    "Sure.^[]52;c;ZWNobyBwd25lZA==^G^[[2J^[[8mhidden^[[0m"
    "<U+009B>31mred^Mover\tTab^?^@end\r\nline two"
)


class _Upstream:
    """An OpenAI-compatible server on loopback answering every chat request with `content`
    (a JSON string literal, so a test can send what json.dumps would not, e.g. a lone
    surrogate); counts the chat requests it gets."""

    def __init__(self) -> None:
        self.content = json.dumps(HOSTILE)
        self.requests = 0
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._reply(b'{"object": "list", "data": [{"id": "m", "object": "model"}]}')

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                upstream.requests += 1
                body = (
                    '{"id": "u", "object": "chat.completion", "model": "m", "created": 0,'
                    ' "choices": [{"index": 0, "finish_reason": "stop", "message":'
                    f' {{"role": "assistant", "content": {upstream.content}}}}}],'
                    ' "usage": {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}}'
                )
                self._reply(body.encode())

            def _reply(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> _Upstream:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def upstream() -> Iterator[_Upstream]:
    with _Upstream() as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, upstream: _Upstream) -> Path:
    path = tmp_path / "c.yaml"
    tiers = "".join(
        f"  - {{name: {name}, kind: openai, base_url: '{upstream.base_url}', model: m,\n"
        "     location: public_cloud, trusted: false}\n"
        for name in ("far", "farther")
    )
    path.write_text(f"tiers:\n{tiers}privacy: {{ner: false}}\n")
    return path


def run_on_terminal(*args: str) -> tuple[int, bytes, str]:
    """Run the command with stdout on a pseudo-terminal: exit code, what the terminal got
    (its line discipline turns "\\n" into "\\r\\n"), stderr."""
    master, slave = pty.openpty()
    with tempfile.TemporaryFile() as stderr:
        try:
            proc = subprocess.Popen(
                [str(BIN), *args],
                stdin=subprocess.DEVNULL,
                stdout=slave,
                stderr=stderr,
                env={k: v for k, v in os.environ.items() if k != "HYBRIDROUTE_CONFIG"},
            )
        finally:
            os.close(slave)
        out = bytearray()
        deadline = time.monotonic() + 120
        try:
            while time.monotonic() < deadline:
                if not select.select([master], [], [], 1.0)[0]:
                    continue
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the command has exited and closed the terminal
                    break
                if not data:
                    break
                out += data
        finally:
            os.close(master)
            if proc.poll() is None:
                proc.kill()
            code = proc.wait(timeout=30)
        stderr.seek(0)
        return code, bytes(out), stderr.read().decode(errors="replace")


def test_on_a_terminal_the_answer_shows_control_characters_instead_of_obeying_them(
    config: Path,
) -> None:
    code, out, stderr = run_on_terminal("chat", "Name one colour.", "-c", str(config))
    assert code == 0, stderr
    for obeyed in (b"\x1b]52;", b"\x1b[2J", b"\x1b[8m", b"\xc2\x9b", b"\x07", b"red\rover"):
        assert obeyed not in out
    shown = (SHOWN + "\n").replace("\n", "\r\n").encode()
    assert out.startswith(shown)
    assert b"tier" in out[len(shown) :]  # then the (styled) status line


def test_to_a_pipe_the_answer_is_byte_exact(config: Path) -> None:
    # click strips ANSI codes from a pipe unless told not to: that lost "\x1b[2J" etc.
    result = subprocess.run(
        [str(BIN), "chat", "Name one colour.", "-c", str(config)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith((HOSTILE + "\n").encode())
    as_json = run("chat", "Name one colour.", "-c", str(config), "--json")
    assert json.loads(as_json.stdout)["answer"] == HOSTILE


def test_an_answer_with_a_lone_surrogate_is_printed_not_a_traceback(
    config: Path, upstream: _Upstream
) -> None:
    upstream.content = '"bad \\ud800 end"'  # valid JSON, not encodable as UTF-8
    result = run("chat", "Name one colour.", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("bad \ufffd end\n")
    code, out, stderr = run_on_terminal("chat", "Name one colour.", "-c", str(config))
    assert code == 0 and out.startswith("bad \ufffd end\r\n".encode()), stderr


def test_an_empty_prompt_is_refused_before_anything_is_sent(
    config: Path, upstream: _Upstream
) -> None:
    for args, stdin in ((("-",), ""), (("-",), " \n\t\r\n"), (("",), None), (("  ",), None)):
        result = run("chat", *args, "-c", str(config), stdin=stdin)
        assert result.returncode == 2, (args, stdin)
        assert result.stderr.strip() == "error: the prompt is empty; nothing was sent"
    assert upstream.requests == 0


def test_an_unknown_tier_is_bad_usage_naming_the_configured_ones(
    config: Path, upstream: _Upstream
) -> None:
    result = run("chat", "hi", "-c", str(config), "--tier", "nope")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: --tier 'nope' is not a configured tier (configured: far, farther)"
    )
    assert upstream.requests == 0
    forced = run("chat", "hi", "-c", str(config), "--tier", "farther", "--json")
    assert forced.returncode == 0 and json.loads(forced.stdout)["tier"] == "farther"
