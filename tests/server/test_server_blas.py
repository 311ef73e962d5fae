"""`hybridroute serve` runs with single-threaded OpenBLAS (set before numpy loads, by
re-running itself in place) unless the caller chose BLAS threads."""

from __future__ import annotations

from pathlib import Path

import pytest
from gateway_processes import serve, stop, stub_config, wait_ready

from hybridroute.cli.serve import BLAS_THREADS, serving_environment


def test_serving_environment_sets_one_blas_thread() -> None:
    assert serving_environment({"PATH": "/bin"}) == {"PATH": "/bin", BLAS_THREADS: "1"}


def test_a_chosen_blas_thread_count_is_kept() -> None:
    assert serving_environment({BLAS_THREADS: "4"}) is None


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_gateway_process_runs_with_single_threaded_blas(
    stub_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Started without the variable, so only the gateway's own re-exec can set it.
    monkeypatch.delenv(BLAS_THREADS, raising=False)
    config = tmp_path / "gateway.yaml"
    config.write_text(stub_config(stub_url))
    service = serve(config, tmp_path / "gateway.log")
    try:
        wait_ready(service, "/readyz")
        # Same PID after the exec: the caller's handle (and its SIGTERM) still reach it.
        environ = Path(f"/proc/{service.process.pid}/environ").read_bytes().split(b"\0")
        assert f"{BLAS_THREADS}=1".encode() in environ
    finally:
        stop(service)
