"""Session fixtures: the stub, a llama.cpp server and two gateways (see gateway_processes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gateway_processes import (
    PYTHON,
    Service,
    free_port,
    gateway_config,
    serve,
    spawn,
    start_stub,
    stop,
    stub_config,
    wait_ready,
)

from hybridroute.tiers.llamacpp import default_model_path


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Service]]:
    """Start every process at once (they warm up in parallel), stop them at the end."""
    tmp = tmp_path_factory.mktemp("services")
    stub = start_stub(tmp / "stub.log")
    port = free_port()
    upstream_args = [
        *(PYTHON, "-m", "llama_cpp.server", "--model", str(default_model_path())),
        *("--host", "127.0.0.1", "--port", str(port), "--n_ctx", "1024", "--n_threads", "1"),
        *("--model_alias", "smollm2"),
    ]
    upstream = Service(
        url=f"http://127.0.0.1:{port}",
        process=spawn(upstream_args, tmp / "upstream.log"),
        log=tmp / "upstream.log",
    )
    (tmp / "stub.yaml").write_text(stub_config(stub.url))
    (tmp / "gateway.yaml").write_text(gateway_config(upstream.url))
    running = {"stub": stub, "upstream": upstream}
    try:
        running["stub_gateway"] = serve(tmp / "stub.yaml", tmp / "stub_gateway.log")
        running["gateway"] = serve(tmp / "gateway.yaml", tmp / "gateway.log")
        wait_ready(stub, "/v1/models")
        wait_ready(upstream, "/v1/models")
        wait_ready(running["stub_gateway"], "/readyz")
        wait_ready(running["gateway"], "/readyz")
        yield running
    finally:
        for service in running.values():
            stop(service)


@pytest.fixture(scope="session")
def gateway(services: dict[str, Service]) -> str:
    return services["gateway"].url


@pytest.fixture(scope="session")
def stub_gateway(services: dict[str, Service]) -> str:
    return services["stub_gateway"].url


@pytest.fixture(scope="session")
def stub_url(services: dict[str, Service]) -> str:
    return services["stub"].url
