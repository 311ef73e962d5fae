"""Config loading: clear errors that name the file and the field; secrets never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridroute import ConfigError, load_config
from hybridroute.config import LlamaCppSettings, OpenAISettings
from hybridroute.tiers.openai_compatible import DEFAULT_MAX_RESPONSE_BYTES


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hybridroute.yaml"
    path.write_text(text)
    return path


def test_default_is_the_embedded_device_tier() -> None:
    config = load_config(environ={})
    assert [t.name for t in config.tiers] == ["device"]
    assert isinstance(config.tiers[0], LlamaCppSettings)
    assert config.tiers[0].trusted


def test_default_adds_a_public_cloud_tier_with_openai_key() -> None:
    config = load_config(environ={"OPENAI_API_KEY": "sk-secret-123"})
    cloud = config.tier("cloud")
    assert isinstance(cloud, OpenAISettings)
    assert cloud.location == "public_cloud" and not cloud.trusted
    assert cloud.base_url == "https://api.openai.com/v1"
    assert "sk-secret-123" not in repr(config)


def test_default_cloud_from_hybridroute_variables() -> None:
    env = {
        "HYBRIDROUTE_CLOUD_BASE_URL": "http://127.0.0.1:9/v1",
        "HYBRIDROUTE_CLOUD_API_KEY": "k",
        "HYBRIDROUTE_CLOUD_MODEL": "m",
    }
    cloud = load_config(environ=env).tier("cloud")
    assert isinstance(cloud, OpenAISettings)
    assert (cloud.base_url, cloud.model) == ("http://127.0.0.1:9/v1", "m")


def test_full_file_with_env_interpolation(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
tiers:
  - {name: device, kind: llama_cpp}
  - name: private
    kind: openai
    base_url: ${PRIVATE_URL:-http://127.0.0.1:8000/v1}
    model: llama3
    location: private_cloud
    trusted: true
  - name: cloud
    kind: openai
    base_url: https://api.openai.com/v1
    api_key: ${MY_KEY}
    model: gpt-4o-mini
    location: public_cloud
    trusted: false
    price_in_per_m: 0.15
    price_out_per_m: 0.6
routing: {mode: cost-first, default_budget_ms: 2000}
features:
  autocomplete: {budget_ms: 100}
privacy: {ner: false}
""",
    )
    config = load_config(path, environ={"MY_KEY": "sk-very-secret"})
    private, cloud = config.tier("private"), config.tier("cloud")
    assert isinstance(private, OpenAISettings) and isinstance(cloud, OpenAISettings)
    assert private.base_url == "http://127.0.0.1:8000/v1"
    assert cloud.api_key is not None and cloud.api_key.get_secret_value() == "sk-very-secret"
    assert "sk-very-secret" not in repr(config) and "sk-very-secret" not in str(config)
    assert config.routing.mode == "cost-first"
    assert config.features["autocomplete"].budget_ms == 100
    assert config.privacy.ner is False


def test_unknown_tier_kind_names_file_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "tiers:\n  - {name: x, kind: anthropic_magic}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    message = str(caught.value)
    assert str(path) in message
    assert "tiers.0" in message and "unknown tier kind" in message


def test_missing_model_file(tmp_path: Path) -> None:
    path = write(tmp_path, "tiers:\n  - {name: d, kind: llama_cpp, model_path: /nope/m.gguf}\n")
    with pytest.raises(ConfigError, match=r"tiers\.0\.llama_cpp\.model_path.*model file not found"):
        load_config(path, environ={})


def test_bad_yaml_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "tiers:\n  - name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+, column \d+"):
        load_config(path, environ={})


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config("/definitely/not/here.yaml", environ={})


def test_unset_env_var_names_the_field_not_a_value(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
tiers:
  - {name: c, kind: openai, base_url: "http://127.0.0.1:1/v1", model: m,
     location: public_cloud, trusted: false, api_key: "${NOT_SET_ANYWHERE}"}
""",
    )
    with pytest.raises(ConfigError, match=r"tiers\.0\.api_key: environment variable NOT_SET"):
        load_config(path, environ={})


def test_validation_errors_do_not_echo_secrets(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
tiers:
  - {name: c, kind: openai, base_url: "ftp://nope", model: m, location: public_cloud,
     trusted: false, api_key: sk-leak-me}
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert "base_url" in str(caught.value)
    assert "sk-leak-me" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("tiers: []\n", "tiers"),
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\n  - {name: a, kind: llama_cpp}\n",
            "duplicate tier names: a",
        ),
        ("tiers:\n  - {name: a, kind: llama_cpp, typo_field: 1}\n", "typo_field"),
        ("- just a list\n", "top level must be a mapping"),
        ("tiers:\n  - {name: a, kind: llama_cpp}\nrouting: {mode: fastest}\n", "routing.mode"),
        # PyYAML would keep the second list silently.
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\ntiers:\n  - {name: b, kind: llama_cpp}\n",
            "duplicate key 'tiers'",
        ),
        # Names that refer to tiers must name configured ones (else: a refusal much later).
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\nfeatures:\n  chat: {tiers: [a, nosuch]}\n",
            "features.chat.tiers: unknown tier nosuch",
        ),
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\nserver:\n  model_aliases: {gpt-4: nosuch}\n",
            "server.model_aliases.gpt-4: 'nosuch' is neither 'auto' nor a tier",
        ),
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\nprivacy: {ner_model: no_such_model}\n",
            "privacy.ner_model: no installed spaCy model 'no_such_model'",
        ),
    ],
)
def test_invalid_documents(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_config(write(tmp_path, text), environ={})


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "tiers:\n  - {name: mine, kind: llama_cpp}\n")
    config = load_config(environ={"HYBRIDROUTE_CONFIG": str(path)})
    assert config.tiers[0].name == "mine"


def test_a_file_that_is_not_gguf_fails_at_load(tmp_path: Path) -> None:
    junk = tmp_path / "model.gguf"
    junk.write_bytes(b"<html>404 Not Found</html>")
    path = write(tmp_path, f"tiers:\n  - {{name: d, kind: llama_cpp, model_path: {junk}}}\n")
    with pytest.raises(ConfigError, match=r"model_path: .*model\.gguf is not a GGUF model file"):
        load_config(path, environ={})


def test_an_invalid_tier_is_not_also_reported_as_a_missing_one(tmp_path: Path) -> None:
    path = write(tmp_path, "tiers:\n  - {name: x, kind: llama_cpp, n_ctx: 1}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert "n_ctx" in str(caught.value) and "at least 1 item" not in str(caught.value)


def test_ner_model_is_not_checked_when_ner_is_off(tmp_path: Path) -> None:
    text = "tiers:\n  - {name: a, kind: llama_cpp}\nprivacy: {ner: false, ner_model: nope}\n"
    assert load_config(write(tmp_path, text), environ={}).privacy.ner_model == "nope"


OPENAI_TIER = "tiers:\n  - {name: c, kind: openai, base_url: 'http://127.0.0.1:9/v1', model: m,\n"
OPENAI_TIER += "     location: private_cloud, trusted: true"


def test_max_response_bytes_defaults_to_the_tiers_own_default(tmp_path: Path) -> None:
    tier = load_config(write(tmp_path, OPENAI_TIER + "}\n"), environ={}).tier("c")
    assert isinstance(tier, OpenAISettings)
    assert tier.max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES == 64 * 1024 * 1024
    text = OPENAI_TIER + ", max_response_bytes: 4096}\n"
    tier = load_config(write(tmp_path, text), environ={}).tier("c")
    assert isinstance(tier, OpenAISettings) and tier.max_response_bytes == 4096


@pytest.mark.parametrize(
    ("value", "reason"),
    [("0", "greater than 0"), ("-1", "greater than 0"), ("1.5", "integer"), ("lots", "integer")],
)
def test_max_response_bytes_must_be_a_positive_integer(
    tmp_path: Path, value: str, reason: str
) -> None:
    text = OPENAI_TIER + f", max_response_bytes: {value}}}\n"
    field = r"tiers\.0\.openai\.max_response_bytes: "
    with pytest.raises(ConfigError, match=f"{field}.*{reason}"):
        load_config(write(tmp_path, text), environ={})
