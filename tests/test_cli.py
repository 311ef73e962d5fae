"""The `hybridroute` command as a user runs it: a real process, the real default model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.upstreams import FaultyUpstream

BIN = Path(sys.executable).with_name("hybridroute")


def run(
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"OPENAI_API_KEY", "HYBRIDROUTE_CONFIG"}
    }
    return subprocess.run(
        [str(BIN), *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=300,
        env={**clean, **(env or {})},
        check=False,
    )


def test_chat_json_answers_from_the_device_with_timings() -> None:
    result = run("chat", "What is the capital of France?", "--json", "--max-tokens", "24")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["answer"].strip()
    assert payload["tier"] == "device"
    assert payload["latency_ms"] > 0
    assert payload["usage"]["prompt_tokens"] > 0 and payload["usage"]["completion_tokens"] > 0
    assert payload["timings"]["ttft_ms"] > 0 and payload["timings"]["decode_tps"] > 0
    assert payload["cost_usd"] == 0.0


def test_chat_plain_output_names_the_tier() -> None:
    result = run("chat", "-", "--max-tokens", "8", stdin="Say hi.")
    assert result.returncode == 0, result.stderr
    assert "tier=device" in result.stdout and "decode=" in result.stdout


def test_tiers_lists_health_and_measured_speed() -> None:
    result = run("tiers", "--json")
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["name"] == "device" and row["location"] == "device" and row["trusted"]
    assert row["health"] == "up"
    assert row["decode_tps"] > 1 and row["prefill_tps"] > row["decode_tps"]
    assert row["load_ms"] > 0


def test_route_explains_without_calling_a_model(tmp_path: Path) -> None:
    result = run("route", "My SSN is 536-22-1234", "--json")
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["tier"] == "device"
    assert decision["privacy_action"] == "local_only"
    assert decision["reasons"][0]["rule"] == "privacy_local_only"
    assert "536-22-1234" not in result.stdout


def test_config_error_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("tiers:\n  - {name: x, kind: warp_drive}\n")
    result = run("chat", "hi", "--config", str(bad))
    assert result.returncode == 2
    assert "unknown tier kind" in result.stderr and str(bad) in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_with_a_bad_config_or_a_missing_file_exits_2(tmp_path: Path) -> None:
    # Bad input is exit code 2 in every command (README), as in `eval` and `convert`.
    bad = tmp_path / "bad.yaml"
    bad.write_text("tiers:\n  - {name: x, kind: warp_drive}\n")
    for config in (bad, tmp_path / "absent.yaml"):
        result = run("serve", "--config", str(config), "--port", "1")
        assert result.returncode == 2 and str(config) in result.stderr
    assert run("scan", str(tmp_path / "absent.txt")).returncode == 2


def test_unreachable_forced_tier_reports_the_failure(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "tiers:\n"
        "  - {name: device, kind: llama_cpp}\n"
        "  - {name: far, kind: openai, base_url: 'http://127.0.0.1:9/v1', model: m,\n"
        "     location: private_cloud, trusted: true}\n"
    )
    result = run("chat", "hi", "--config", str(config), "--tier", "far", "--json")
    assert result.returncode == 1
    assert "far" in result.stderr and "ConnectFailed" in result.stderr


def test_route_config_error_is_one_clear_line_too(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("tiers:\n  - {name: x, kind: warp_drive}\n")
    result = run("route", "hi", "--config", str(bad))
    assert result.returncode == 2
    assert "unknown tier kind" in result.stderr and "Traceback" not in result.stderr
    # The list's own "too short" complaint contradicted the file (it has a tier): not shown.
    assert "at least 1 item" not in result.stderr


def test_budget_must_be_positive() -> None:
    for budget in ("0", "-5", "nan"):
        result = run("route", "hi", f"--budget-ms={budget}")
        assert result.returncode == 2, budget
        assert "must be a positive" in result.stderr


def test_prompt_that_is_not_utf8_is_refused_as_input_not_blamed_on_a_tier() -> None:
    result = subprocess.run(
        [str(BIN), "chat", "-", "--max-tokens", "4"],
        input=b"caf\xe9 au lait",
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert "not UTF-8" in stderr and "BadResponse" not in stderr


def test_hash_key_refuses_an_empty_secret() -> None:
    for args, stdin in ((("hash-key", ""), None), (("hash-key", "-"), "")):
        result = run(*args, stdin=stdin)
        assert result.returncode == 2 and "the secret is empty" in result.stderr


def test_tiers_shows_a_model_that_does_not_load_as_down(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 64)  # passes the config's magic check, not llama.cpp
    config = tmp_path / "c.yaml"
    config.write_text(
        f"tiers:\n  - {{name: device, kind: llama_cpp, model_path: {broken}}}\n"
        "  - {name: far, kind: openai, base_url: 'http://127.0.0.1:9/v1', model: m,\n"
        "     location: private_cloud, trusted: true}\n"
    )
    result = run("tiers", "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"device", "far"}
    assert rows["device"]["health"] == "down"
    assert rows["device"]["health_detail"].startswith("cannot load model: ValueError")


def test_an_unusable_base_url_is_one_clear_line_not_a_traceback(tmp_path: Path) -> None:
    # It used to get past the config and fail in httpx, as a 40-line traceback.
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "tiers:\n"
        "  - {name: far, kind: openai, base_url: 'http://[::1/v1', model: m,\n"
        "     api_key: sk-live-TOPSECRET-7, location: private_cloud, trusted: true}\n"
    )
    result = run("tiers", "--config", str(bad))
    assert result.returncode == 2
    assert "tiers.0.openai.base_url: invalid IPv6 address" in result.stderr
    assert "Traceback" not in result.stderr and "TOPSECRET" not in result.stderr


def test_chat_prints_the_answer_as_text_not_markup(tmp_path: Path) -> None:
    # Review 12, L7: an answer holding "[/INST]" crashed the printer (Rich markup), "a[i]"
    # lost its "[i]" and a Markdown link its text.
    prompt = "a[i] [/INST] [the docs](https://example.org) [bold]x[/bold]"
    with FaultyUpstream() as upstream:
        config = tmp_path / "c.yaml"
        config.write_text(
            "tiers:\n"
            "  - {name: device, kind: llama_cpp}\n"
            f"  - {{name: far, kind: openai, base_url: '{upstream.base_url}', model: echo,\n"
            "     location: private_cloud, trusted: true}\n"
        )
        result = run("chat", prompt, "--config", str(config), "--tier", "far")
    assert result.returncode == 0, result.stderr
    assert f"echo: {prompt}" in result.stdout.replace("\n", " ")
