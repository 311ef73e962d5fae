"""Session fixtures: the upstream stub and two gateways (see gateway_processes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gateway_processes import (
    Service,
    gateway_config,
    serve,
    start_stub,
    stop,
    stub_config,
    wait_ready,
)


@pytest.fixture(scope="session")
def services(
    llama_upstream: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Service]]:
    """The stub and both gateways, started together (they warm up in parallel).

    `llama_upstream` (tests/conftest.py) is the real llama.cpp server behind `private`.
    """
    tmp = tmp_path_factory.mktemp("services")
    stub = start_stub(tmp / "stub.log")
    (tmp / "stub.yaml").write_text(stub_config(stub.url))
    (tmp / "gateway.yaml").write_text(gateway_config(llama_upstream.removesuffix("/v1")))
    running = {"stub": stub}
    try:
        running["stub_gateway"] = serve(tmp / "stub.yaml", tmp / "stub_gateway.log")
        running["gateway"] = serve(tmp / "gateway.yaml", tmp / "gateway.log")
        wait_ready(stub, "/v1/models")
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
