"""`hybridroute serve` (the OpenAI-compatible gateway) and `hybridroute hash-key`."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated

import typer

from hybridroute.errors import ConfigError

# OpenBLAS started with its thread pool makes the gateway's many tiny matrix products (spaCy's
# NER, the capability model) ~15% slower than OpenBLAS started single-threaded (measured: NER
# 8.2 -> 6.8 ms per 100 tokens); limiting its threads at run time (threadpoolctl) does not
# recover it, and numpy loads with `import hybridroute`, so `serve` re-runs itself once.
BLAS_THREADS = "OPENBLAS_NUM_THREADS"
_ENTRY = "from hybridroute.cli import main; main()"


def serving_environment(environ: Mapping[str, str]) -> dict[str, str] | None:
    """The environment to run the gateway in, or None to keep this process: when the caller
    has chosen BLAS threads already, or off POSIX (no in-place exec)."""
    if BLAS_THREADS in environ or os.name != "posix" or not sys.executable:
        return None
    return {**environ, BLAS_THREADS: "1"}


def exec_for_serving(argv: Sequence[str]) -> None:
    """Replace this process (same PID) by `serve` with single-threaded OpenBLAS, if needed."""
    environ = serving_environment(os.environ)
    if environ is not None:
        os.execve(sys.executable, [sys.executable, "-c", _ENTRY, *argv[1:]], environ)


def serve(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML config (default: built-in).")
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8080,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    access_log: Annotated[bool, typer.Option(help="Log every request line.")] = False,
) -> None:
    """Run the OpenAI-compatible gateway; SIGTERM/SIGINT let in-flight requests finish."""
    import uvicorn

    from hybridroute.config import load_config
    from hybridroute.server.app import app_from_config
    from hybridroute.server.head_timeout import head_timed_protocol

    try:
        settings = load_config(config)
        app = app_from_config(settings)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None  # bad input
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level=log_level,
            access_log=access_log,
            # uvicorn annotates int but hands the value to asyncio.wait_for: a float is fine.
            timeout_graceful_shutdown=settings.server.shutdown_timeout_s,  # type: ignore[arg-type]
            limit_concurrency=settings.server.limit_concurrency,
            # Proxies' X-Forwarded-* headers are not trusted unless configured in front.
            proxy_headers=False,
            server_header=False,
            # uvicorn's httptools protocol, with a deadline for each request's headers.
            http=head_timed_protocol(settings.server.header_timeout_s),
            # No WebSocket routes: uvicorn's WebSocket protocol would log every handshake's
            # path and query string (values included) at INFO, even without --access-log.
            ws="none",
        )
    )
    server.run()
    if server.should_exit and not server.started:
        raise typer.Exit(1)  # startup failed (port in use, warm-up error): uvicorn logged why


def hash_key(
    secret: Annotated[
        str | None,
        typer.Argument(help="The API key secret; '-' reads stdin; omit to generate one."),
    ] = None,
) -> None:
    """Print the sha256 digest to put in `server.api_keys[].sha256` (and a new key if none)."""
    from hybridroute.server.auth import hash_key as digest

    if secret is None:
        secret = "hr-" + secrets.token_urlsafe(32)
        typer.echo(f"key:    {secret}")
        typer.echo(f"sha256: {digest(secret)}")
        return
    if secret == "-":
        secret = sys.stdin.readline().strip()
    if not secret:
        # The gateway refuses empty keys, so this digest could never authenticate anyone.
        raise typer.BadParameter("the secret is empty", param_hint="SECRET")
    typer.echo(digest(secret))
