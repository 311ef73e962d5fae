"""Config loading: clear errors that name the file and the field; secrets never printed."""

from __future__ import annotations

from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from hybridroute import ConfigError, load_config
from hybridroute.config import (
    _USER_KEYED,
    MAX_N_CTX,
    HybridRouteConfig,
    LlamaCppSettings,
    OpenAISettings,
)
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


@pytest.mark.parametrize("value", ["*sk-live-", "!", "!!", "&sk-live- *"])
def test_a_secret_read_as_an_alias_or_tag_is_not_echoed(tmp_path: Path, value: str) -> None:
    # Unquoted, a key starting with `*` or `!` is a YAML alias or tag; PyYAML quotes it.
    path = write(
        tmp_path,
        "tiers:\n  - name: c\n    kind: openai\n    base_url: http://127.0.0.1:1/v1\n"
        f"    model: m\n    api_key: {value}Hunter2x9\n",
    )
    with pytest.raises(ConfigError, match=r"not valid YAML at line 6, column \d+") as caught:
        load_config(path, environ={})
    assert "Hunter2x9" not in str(caught.value) and "sk-live" not in str(caught.value)


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
            "tiers:\n  - {name: a, kind: llama_cpp}\nserver:\n  api_keys:\n    - {name: k, sha256: "
            + "ab" * 32
            + ", tiers: [a, devcie]}\n",
            r"server\.api_keys\.0\.tiers: unknown tier devcie \(tiers: a\)",
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


def openai_tier(**fields: str) -> str:
    """One openai tier in YAML flow style, with `fields` (already YAML) added or replaced."""
    base = {
        "name": "c",
        "kind": "openai",
        "base_url": "'http://127.0.0.1:9/v1'",
        "model": "m",
        "location": "private_cloud",
        "trusted": "true",
    }
    body = ", ".join(f"{k}: {v}" for k, v in {**base, **fields}.items())
    return f"tiers:\n  - {{{body}}}\n"


def config_error(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ or {})
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    return message


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        # Each used to pass the check and fail as an httpx traceback or a tier always `down`.
        ("http://[::1/v1", "invalid IPv6 address"),
        ("http://[::1]x/v1", "invalid host"),
        ("http://[fe80::zz]:8000/v1", "invalid IPv6 address"),
        ("http://::1/v1", "in brackets"),
        ("http://host.example:99999/v1", "invalid port"),
        ("http://host.example:0/v1", "invalid port"),
        ("http://host.example:/v1", "invalid port"),
        ("http://host.example:+80/v1", "invalid port"),
        ("http://host.example:8o8o/v1", "invalid port"),
        ("http://ho st.example/v1", "whitespace"),
        ("http://a..b/v1", "invalid host name"),
        ("http://-a.example/v1", "invalid host name"),
        ("http://\u2603.example/v1", "internationalised domain name"),
        ("http://999.1.1.1/v1", "invalid IPv4 address"),
        ("http:///v1", "has no host"),
        ("https://api.example.com/v1 ", "whitespace"),
        ("ftp://api.example.com/v1", "should match pattern"),
    ],
)
def test_an_unusable_base_url_is_a_config_error_naming_the_field(
    tmp_path: Path, url: str, reason: str
) -> None:
    message = config_error(tmp_path, openai_tier(base_url=f'"{url}"'))
    (line,) = message.splitlines()[1:]  # one line for the one problem
    assert line.startswith("  tiers.0.openai.base_url: ") and reason in line
    assert url.strip() not in message


@pytest.mark.parametrize(
    "url",
    [
        "https://api.openai.com/v1",
        "https://api.openai.com/v1/",
        "http://127.0.0.1:8000/v1",
        "http://[::1]:8080/v1",
        "http://localhost:11434/v1",
        "http://my_service:8000/v1",  # docker compose names may have underscores
        "http://b\u00fccher.example/v1",  # an IDNA host
        "https://host.example.:443/openai/deployments/x",
    ],
)
def test_usable_base_urls_load_and_build_a_tier(tmp_path: Path, url: str) -> None:
    from hybridroute.tiers import build_openai

    config = load_config(write(tmp_path, openai_tier(base_url=f'"{url}"')), environ={})
    tier = config.tier("c")
    assert isinstance(tier, OpenAISettings) and tier.base_url == url
    build_openai(tier)  # no httpx error at construction either


def test_a_base_url_with_a_password_is_refused_without_printing_it(tmp_path: Path) -> None:
    # httpx sent it as Basic auth, silently in place of the api_key's Bearer header.
    url = "https://user:TOPSECRET-PW@api.example.com/v1"
    message = config_error(tmp_path, openai_tier(base_url=f'"{url}"', api_key="sk-live-KEY-1"))
    assert "tiers.0.openai.base_url: must not contain a user name or password" in message
    assert "TOPSECRET-PW" not in message
    assert "sk-live-KEY-1" not in message


@pytest.mark.parametrize(
    "url",
    [
        "https://res.example.com/v1?api-version=TOPSECRET-Q",
        "https://res.example.com/v1?",
        "https://res.example.com/v1#TOPSECRET-Q",
        "https://user:TOPSECRET-Q#x@res.example.com/v1",  # '#' in a password: still userinfo
    ],
)
def test_a_base_url_with_a_query_or_fragment_is_refused(tmp_path: Path, url: str) -> None:
    # The query used to end up inside the path: /v1?api-version=X/chat/completions.
    message = config_error(tmp_path, openai_tier(base_url=f'"{url}"'))
    assert "tiers.0.openai.base_url: must not contain" in message
    if "@" not in url:
        assert "query parameters are not supported" in message
    assert "TOPSECRET" not in message


def test_a_bad_base_url_from_the_environment_is_a_config_error_too() -> None:
    env = {"HYBRIDROUTE_CLOUD_BASE_URL": "http://[::1/v1", "HYBRIDROUTE_CLOUD_API_KEY": "sk-x1"}
    with pytest.raises(ConfigError, match=r"<built-in default>: .*\n  tiers\.1\.openai\.base_url"):
        load_config(environ=env)


@pytest.mark.parametrize(
    ("yaml_value", "reason"),
    [
        (r'"sk-live-TOPSECRET-8\r\n"', "control character"),
        (r'"sk-live-TOPSECRET-8\n"', "control character"),
        (r'"sk-live-TOPSECRET-8\t"', "control character"),
        (r'"sk-live-TOPSECRET-8\x7f"', "control character"),
        (r'"sk-live-TOPSECRET-8\u00e9"', "non-ASCII"),
        ('" sk-live-TOPSECRET-8"', "space"),
    ],
)
def test_an_api_key_that_cannot_be_a_header_is_refused_without_printing_it(
    tmp_path: Path, yaml_value: str, reason: str
) -> None:
    message = config_error(tmp_path, openai_tier(api_key=yaml_value))
    assert "tiers.0.openai.api_key: " in message and reason in message
    assert "TOPSECRET" not in message


def test_a_crlf_key_from_the_environment_is_refused(tmp_path: Path) -> None:
    # What `export $(cat .env)` gives with a .env file saved with Windows line ends.
    text = openai_tier(api_key="'${CLOUD_KEY}'")
    message = config_error(tmp_path, text, {"CLOUD_KEY": "sk-live-TOPSECRET-9\r"})
    assert "tiers.0.openai.api_key: contains a control character" in message
    assert "TOPSECRET" not in message
    # The same key without the line end loads.
    config = load_config(write(tmp_path, text), environ={"CLOUD_KEY": "sk-live-TOPSECRET-9"})
    tier = config.tier("c")
    assert isinstance(tier, OpenAISettings) and tier.api_key is not None


@pytest.mark.parametrize(
    ("text", "shown", "secret"),
    [
        # A secret pasted as a key: shown as <key>; a typo of a field: shown as it is.
        (openai_tier(**{"sk-live-TOPSECRET-5": "true"}), "tiers.0.openai.<key>: Extra", "TOP"),
        (openai_tier(AKIAIOSFODNN7EXAMPLE="1"), "tiers.0.openai.<key>: Extra", "AKIA"),
        (openai_tier(apikey="x"), "tiers.0.openai.apikey: Extra inputs", None),
        ("tiers:\n  - {name: a, kind: llama_cpp}\nrouting: {hunter2!: 1}\n", "routing.<key>", "hu"),
        # Keys the user names (features, model aliases): shown when they look like a name.
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\n"
            "server:\n  model_aliases: {sk-live-TOPSECRET-14: nowhere}\n",
            "server.model_aliases.<key>: 'nowhere' is neither 'auto' nor a tier (tiers: a)",
            "TOPSECRET",
        ),
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\n"
            "server:\n  model_aliases: {gpt-4o-mini: sk-live-TOPSECRET-15}\n",
            "server.model_aliases.gpt-4o-mini: the target is neither 'auto' nor a tier",
            "TOPSECRET",
        ),
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\n"
            "server:\n  model_aliases: {llama3.1:8b: [a]}\n",
            "server.model_aliases.llama3.1:8b: Input should be a valid string",
            None,
        ),
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\n"
            "features:\n  '4111111111111111': {tiers: [ghost]}\n",
            "features.<key>.tiers: unknown tier ghost (tiers: a)",
            "4111",
        ),
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\n"
            "features:\n  autocomplete: {tiers: [Sk-Live-TOPSECRET]}\n",
            "features.autocomplete.tiers: unknown tier <name>",
            "TOPSECRET",
        ),
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\nfeatures:\n  4111111111111111: {}\n",
            "features.<key>.[key]: Input should be a valid string",
            "4111",
        ),
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\n"
            "features:\n  card-4111111111111111: {budget_ms: 0}\n",
            "features.<key>.budget_ms",
            "4111",
        ),
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\n"
            "privacy: {ner: false, sensitivity: {EMAIL: high, sk-TOPSECRET: 0.5}}\n",
            "privacy.sensitivity.EMAIL: Input should be a valid number",
            None,
        ),
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\n"
            "privacy: {ner: false, sensitivity: {sk-TOPSECRET: 2}}\n",
            "privacy.sensitivity: <key>: 2.0 is outside [0, 1]",
            "TOPSECRET",
        ),
        # The same rule before validation: duplicate keys and unset variables.
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\n"
            "server:\n  model_aliases: {sk-TOPSECRET: auto, sk-TOPSECRET: auto}\n",
            "duplicate key '<key>'",
            "TOPSECRET",
        ),
        (
            "tiers:\n  - {name: a, kind: llama_cpp}\n"
            "server:\n  model_aliases: {sk-TOPSECRET: '${UNSET_VAR}'}\n",
            "server.model_aliases.<key>: environment variable UNSET_VAR is not set",
            "TOPSECRET",
        ),
    ],
)
def test_keys_from_the_file_are_shown_only_when_they_look_like_names(
    tmp_path: Path, text: str, shown: str, secret: str | None
) -> None:
    message = config_error(tmp_path, text)
    assert shown in message
    if secret is not None:
        assert secret not in message


def _mapping_fields(model: type[BaseModel], path: tuple[str, ...]) -> set[tuple[str, ...]]:
    """Paths of the dict-typed fields under `model` ("*" for an item of a list)."""
    found: set[tuple[str, ...]] = set()

    def visit(annotation: Any, where: tuple[str, ...]) -> None:
        origin, args = get_origin(annotation), get_args(annotation)
        if origin is dict:
            found.add(where)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found.update(_mapping_fields(annotation, where))
        elif origin is Annotated:
            visit(args[0], where)
        elif origin in (Union, UnionType):  # a member is at the same place in the file
            for arg in args:
                visit(arg, where)
        elif origin in (tuple, list):
            for arg in args:
                visit(arg, (*where, "*"))

    for name, field in model.model_fields.items():
        visit(field.annotation, (*path, name))
    return found


def test_every_mapping_with_user_named_keys_has_a_rule_for_showing_them() -> None:
    # A new dict field needs an entry in _USER_KEYED, or its keys would be echoed in errors.
    assert _mapping_fields(HybridRouteConfig, ()) == set(_USER_KEYED)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("n_ctx", "99999999999999999999999"),
        ("n_ctx", str(MAX_N_CTX + 1)),
        ("n_threads", "100000"),
        ("context_window", "99999999999999999999999"),
    ],
)
def test_integer_knobs_have_upper_bounds(tmp_path: Path, field: str, value: str) -> None:
    # n_ctx: 99999999999999999999999 loaded, and llama.cpp overflowed it to 4135583744.
    text = f"tiers:\n  - {{name: d, kind: llama_cpp, {field}: {value}}}\n"
    message = config_error(tmp_path, text)
    assert f"tiers.0.llama_cpp.{field}: Input should be less than or equal to" in message


def test_integer_knobs_at_their_bounds_load(tmp_path: Path) -> None:
    text = (
        f"tiers:\n  - {{name: d, kind: llama_cpp, n_ctx: {MAX_N_CTX}, n_threads: 1024,"
        " context_window: 100000000}\n"
    )
    tier = load_config(write(tmp_path, text), environ={}).tier("d")
    assert isinstance(tier, LlamaCppSettings) and tier.n_ctx == MAX_N_CTX == 1_048_576


def test_an_endpoint_counts_tokens_with_a_large_vocabulary_unless_told(tmp_path: Path) -> None:
    from hybridroute.tiers import build_openai

    config = load_config(write(tmp_path, openai_tier()), environ={})
    tier = config.tier("c")
    assert isinstance(tier, OpenAISettings)
    assert build_openai(tier).info.vocabulary == "large"
    small = tier.model_copy(update={"vocabulary": "small"})  # e.g. a Llama 2 or Mistral 7B
    assert build_openai(small).info.vocabulary == "small"


def test_a_file_without_tiers_gets_the_default_ones(tmp_path: Path) -> None:
    # Review 16: the docs suggest a file with only `privacy: {ner: false}`; it was refused.
    config = load_config(write(tmp_path, "privacy:\n  ner: false\n"), environ={})
    assert [t.name for t in config.tiers] == ["device"] and config.privacy.ner is False
    cloud = {"OPENAI_API_KEY": "sk-test-not-a-real-key"}
    config = load_config(write(tmp_path, "privacy: {ner: false}\n"), environ=cloud)
    assert [t.name for t in config.tiers] == ["device", "cloud"]
    # An empty list is still a mistake, not a request for the defaults.
    with pytest.raises(ConfigError, match="at least 1 item"):
        load_config(write(tmp_path, "tiers: []\n"), environ={})
