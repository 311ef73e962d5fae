"""YAML configuration: pydantic models validated once at load time.

`load_config()` reads a file (or builds the default), interpolates `${ENV}` references and
validates; every error names the file and the field. Secrets are `SecretStr` so they never
print. Nothing below the config layer sees a dict.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import httpx
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from hybridroute.capability.settings import CapabilitySettings
from hybridroute.errors import ConfigError
from hybridroute.privacy.categories import Category
from hybridroute.privacy.entities import EntityType
from hybridroute.privacy.settings import PrivacySettings
from hybridroute.server.settings import ServerSettings
from hybridroute.types import Location


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LatencySettings(_Strict):
    """Declared speed of a tier; the embedded tier replaces it with a start-up measurement."""

    prefill_tps: float = Field(default=2000.0, gt=0)
    decode_tps: float = Field(default=50.0, gt=0)
    rtt_ms: float = Field(default=0.0, ge=0)


class TimeoutSettings(_Strict):
    connect: float = Field(default=5.0, gt=0)
    read: float = Field(default=60.0, gt=0)
    total: float = Field(default=300.0, gt=0)


# Upper bounds of the integer knobs: far above any real model or machine, low enough that a
# typo (an extra digit, 99999999999999999999) is an error and not an overflow in llama.cpp.
MAX_CONTEXT_WINDOW = 100_000_000  # tokens, any tier
MAX_N_CTX = 1_048_576  # tokens the embedded model allocates
MAX_N_THREADS = 1024


class _TierBase(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    location: Location
    trusted: bool
    price_in_per_m: float = Field(default=0.0, ge=0)
    price_out_per_m: float = Field(default=0.0, ge=0)
    context_window: int | None = Field(default=None, gt=0, le=MAX_CONTEXT_WINDOW)
    latency: LatencySettings = LatencySettings()
    # Expected answer quality in [0, 1]; None: the capability signal's estimate for
    # device tiers, 0.9 for the others.
    quality: float | None = Field(default=None, ge=0, le=1)
    # The model's tokenizer, for token estimates (context window, cost, prefill time):
    # "small" (~32-50k tokens: SmolLM2, Llama 2, Mistral 7B) or "large" (100k+: GPT-4o,
    # Llama 3, Qwen). None: small for an embedded model, large for an endpoint.
    vocabulary: Literal["small", "large"] | None = None


GGUF_MAGIC = b"GGUF"  # the first four bytes of every GGUF file


class LlamaCppSettings(_TierBase):
    """An embedded GGUF model run in-process by llama.cpp."""

    kind: Literal["llama_cpp"]
    location: Location = Location.DEVICE
    trusted: bool = True
    model_path: Path | None = None  # None: the packaged SmolLM2-135M-Instruct
    chat_format: str | None = None  # None: the template stored in the GGUF
    n_ctx: int = Field(default=4096, ge=256, le=MAX_N_CTX)
    n_threads: int = Field(default=2, ge=1, le=MAX_N_THREADS)
    calibrate: bool = True  # measure prefill/decode tokens/s at load
    # Requests queued or running at once; more are refused (fallback, or 503).
    max_queue: int = Field(default=8, ge=1, le=1024)

    @field_validator("model_path")
    @classmethod
    def _model_exists(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        path = value.expanduser()
        if not path.is_file():
            raise ValueError(f"model file not found: {value}")
        # Checked here so a wrong file fails at start-up, not as a tier that never loads.
        try:
            with path.open("rb") as model:
                magic = model.read(4)
        except OSError as exc:
            raise ValueError(f"cannot read {value} ({exc.strerror})") from None
        if magic != GGUF_MAGIC:
            raise ValueError(f"{value} is not a GGUF model file")
        return path


class OpenAISettings(_TierBase):
    """Any OpenAI-compatible chat endpoint."""

    kind: Literal["openai"]
    base_url: str = Field(pattern=r"^https?://")
    api_key: SecretStr | None = None
    model: str
    timeouts: TimeoutSettings = TimeoutSettings()
    # Bytes of one answer read at most (a whole stream counted, SSE framing included; after
    # gzip/deflate decoding); a larger one fails as a bad response as soon as it passes this.
    max_response_bytes: int = Field(default=64 * 1024 * 1024, gt=0)

    @field_validator("base_url")
    @classmethod
    def _usable_url(cls, value: str) -> str:
        problem = base_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("api_key")
    @classmethod
    def _usable_key(cls, value: SecretStr | None) -> SecretStr | None:
        # The key goes into an HTTP header as it is: a control character (the \r\n a CRLF
        # .env file leaves) only fails later, in an exception that carries the header. The
        # messages say what is wrong, never the key.
        key = "" if value is None else value.get_secret_value()
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in key):
            raise ValueError(
                "contains a control character (a trailing newline or \\r, as a CRLF .env "
                "file leaves?); the key is not shown"
            )
        if not key.isascii():
            raise ValueError("contains a non-ASCII character; the key is not shown")
        if key != key.strip():
            raise ValueError("starts or ends with a space; the key is not shown")
        return value


_SCHEME_AND_AUTHORITY = re.compile(r"^(https?)://([^/]*)", re.IGNORECASE)
_HOST_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")
_PORT = re.compile(r"[0-9]{1,5}")
_HTTPX_URL_ERRORS = (  # httpx.InvalidURL messages (which quote the URL), as a reason to show
    ("Invalid port", "invalid port"),
    ("Invalid IPv4 address", "invalid IPv4 address"),
    ("Invalid IPv6 address", "invalid IPv6 address"),
    ("Invalid IDNA hostname", "invalid host name (not a valid internationalised domain name)"),
    ("URL too long", "too long"),
)


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be an OpenAI-compatible tier's `base_url`; None when it can.

    Checked at load so a bad URL is a config error, not an httpx traceback when the tier is
    built or a tier that is only ever `down`. The reason never quotes the URL, which may carry
    a password or a key.
    """
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return "contains whitespace or a control character (a trailing space or newline?)"
    match = _SCHEME_AND_AUTHORITY.match(url)
    if match is None:
        return "must start with http:// or https://"
    authority = match.group(2)
    if "@" in authority:
        # httpx would send it as Basic auth in place of the api_key's Bearer header.
        return "must not contain a user name or password (user:password@); use api_key"
    if "?" in url or "#" in url:
        return (
            "must not contain a query (?...) or fragment (#...): query parameters are not "
            "supported, the request path is appended to base_url"
        )
    if authority.startswith("["):
        _, bracket, rest = authority[1:].partition("]")
        if not bracket:
            return "invalid IPv6 address (no closing ']')"
        if rest and not rest.startswith(":"):
            return "invalid host (text after the IPv6 address's ']')"
    else:
        rest = authority[authority.find(":") :] if ":" in authority else ""
    if rest:
        port = rest[1:]
        if ":" in port:
            return "invalid host or port (an IPv6 address goes in brackets: http://[::1]:8000)"
        if not _PORT.fullmatch(port) or not 1 <= int(port) <= 65535:
            return "invalid port (a number from 1 to 65535)"
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        return next((r for k, r in _HTTPX_URL_ERRORS if str(exc).startswith(k)), "invalid URL")
    raw_host = parsed.raw_host.decode("ascii")
    if not raw_host:
        return "has no host"
    if ":" in raw_host:
        return None  # an IPv6 address, checked by httpx (and IPv4 ones pass as labels)
    labels = raw_host.removesuffix(".").split(".")
    if len(raw_host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return "invalid host name"
    return None


TierSettings = Annotated[LlamaCppSettings | OpenAISettings, Field(discriminator="kind")]

Mode = Literal["privacy-first", "performance-first", "cost-first", "balanced"]


class FeatureSettings(_Strict):
    """Per-feature routing overrides (`features: {autocomplete: {budget_ms: 100}}`)."""

    budget_ms: float | None = Field(default=None, gt=0)
    mode: Mode | None = None
    min_quality: Literal["low", "medium", "high"] | None = None
    tiers: tuple[str, ...] | None = None


class RoutingSettings(_Strict):
    mode: Mode = "balanced"
    default_budget_ms: float | None = Field(default=None, gt=0)
    # Capability floor for a tier to be preferred; relaxed (and said so) when none meets it.
    min_quality: Literal["low", "medium", "high"] | None = "medium"
    # Answer length assumed before any observation of the task category.
    expected_output_tokens: int = Field(default=256, gt=0)
    # Consecutive failures that open a tier's circuit, and seconds before it is probed again.
    breaker_failures: int = Field(default=3, ge=1)
    breaker_reset_s: float = Field(default=30.0, gt=0)


class HybridRouteConfig(_Strict):
    """The whole configuration file."""

    tiers: tuple[TierSettings, ...] = Field(min_length=1)
    routing: RoutingSettings = RoutingSettings()
    features: dict[str, FeatureSettings] = Field(default_factory=dict)
    privacy: PrivacySettings = PrivacySettings()
    capability: CapabilitySettings = CapabilitySettings()
    server: ServerSettings = ServerSettings()

    @field_validator("tiers")
    @classmethod
    def _unique_names(cls, tiers: tuple[TierSettings, ...]) -> tuple[TierSettings, ...]:
        names = [t.name for t in tiers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate tier names: {', '.join(dupes)}")
        return tiers

    @model_validator(mode="after")
    def _known_tier_names(self) -> Self:
        """Names that refer to tiers must name configured ones, or requests fail much later."""
        names = {t.name for t in self.tiers}
        configured = f"(tiers: {', '.join(t.name for t in self.tiers)})"
        for feature, settings in self.features.items():
            unknown = sorted(set(settings.tiers or ()) - names)
            if unknown:
                shown = ", ".join(_shown_name(name, "<name>") for name in unknown)
                raise ValueError(
                    f"features.{_shown_name(feature)}.tiers: unknown tier {shown} {configured}"
                )
        for alias, target in self.server.model_aliases.items():
            if target != "auto" and target not in names:
                name = _shown_name(target, "")
                raise ValueError(
                    f"server.model_aliases.{_shown_name(alias)}: "
                    f"{repr(name) if name else 'the target'} is neither 'auto' nor a tier "
                    f"{configured}"
                )
        for index, key in enumerate(self.server.api_keys):
            unknown = sorted(set(key.tiers or ()) - names)
            if unknown:  # a typo would silently leave the key without that tier
                shown = ", ".join(_shown_name(name, "<name>") for name in unknown)
                raise ValueError(
                    f"server.api_keys.{index}.tiers: unknown tier {shown} {configured}"
                )
        return self

    def tier(self, name: str) -> TierSettings:
        for settings in self.tiers:
            if settings.name == name:
                return settings
        raise KeyError(name)


def load_config(
    path: str | Path | None = None, *, environ: Mapping[str, str] | None = None
) -> HybridRouteConfig:
    """Load and validate a config file; with no path, `$HYBRIDROUTE_CONFIG` or the default."""
    env = os.environ if environ is None else environ
    if path is None and env.get("HYBRIDROUTE_CONFIG"):
        path = env["HYBRIDROUTE_CONFIG"]
    if path is None:
        return default_config(env)
    source = Path(path)
    mapping = read_config_mapping(source, env)
    if "tiers" not in mapping:  # a file that only tunes privacy, the server...: default tiers
        mapping["tiers"] = default_tiers(env)
    return _validate(mapping, str(source))


def load_privacy_settings(
    path: str | Path, *, environ: Mapping[str, str] | None = None
) -> PrivacySettings:
    """Only the `privacy:` section of a config file (for `hybridroute scan`); no tiers needed."""
    source = Path(path)
    raw = read_config_mapping(source, os.environ if environ is None else environ)
    section = raw.get("privacy") or {}
    try:
        settings = PrivacySettings.model_validate(section)
    except ValidationError as exc:
        raise ConfigError(
            f"{source}: invalid configuration\n{_describe(exc, prefix=('privacy',))}"
        ) from None
    _check_ner_model(settings, str(source))
    return settings


def read_config_mapping(source: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """A config file's YAML mapping with `${ENV}` references filled in; ConfigError otherwise."""
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read config file ({exc.strerror})") from None
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        if not problem.startswith("duplicate key"):  # ours: the key is shown safely
            # PyYAML quotes the token it stumbled on; an unquoted secret starting with `*`
            # or `!` is read as an alias or a tag, so it would be printed. One character,
            # or an escape such as a tab's, stays.
            problem = _QUOTED_TOKEN.sub("'…'", problem)
        raise ConfigError(f"{source}: not valid YAML{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the top level must be a mapping (tiers:, privacy:, ...)")
    interpolated: dict[str, Any] = _interpolate(raw, env, source, ())
    return interpolated


_QUOTED_TOKEN = re.compile(r"'(?!\\)[^']{2,}'")


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys; a config with both is a mistake, so refuse."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{_shown_name(key)}'", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def default_config(environ: Mapping[str, str]) -> HybridRouteConfig:
    """The embedded device tier, plus a public-cloud tier when cloud credentials are set."""
    return _validate({"tiers": default_tiers(environ)}, "<built-in default>")


def default_tiers(environ: Mapping[str, str]) -> list[dict[str, Any]]:
    """`default_config`'s tiers, as a config file would list them."""
    tiers: list[dict[str, Any]] = [{"kind": "llama_cpp", "name": "device"}]
    cloud_model = environ.get("HYBRIDROUTE_CLOUD_MODEL", "gpt-4o-mini")
    if environ.get("HYBRIDROUTE_CLOUD_BASE_URL") and environ.get("HYBRIDROUTE_CLOUD_API_KEY"):
        base_url, key = environ["HYBRIDROUTE_CLOUD_BASE_URL"], environ["HYBRIDROUTE_CLOUD_API_KEY"]
    elif environ.get("OPENAI_API_KEY"):
        base_url = environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1")
        key = environ["OPENAI_API_KEY"]
    else:
        base_url = key = ""
    if key:
        tiers.append(
            {
                "kind": "openai",
                "name": "cloud",
                "location": "public_cloud",
                "trusted": False,
                "base_url": base_url,
                "api_key": key,
                "model": cloud_model,
                # gpt-4o-mini list prices; override in a config file for other models.
                "price_in_per_m": 0.15,
                "price_out_per_m": 0.60,
                "context_window": 128000,
                "latency": {"prefill_tps": 5000, "decode_tps": 80, "rtt_ms": 300},
            }
        )
    return tiers


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _interpolate(
    node: Any, env: Mapping[str, str], source: Path, where: tuple[str | int, ...]
) -> Any:
    """Replace `${NAME}` / `${NAME:-default}` in every string; unset without default is an error."""
    if isinstance(node, dict):
        return {k: _interpolate(v, env, source, (*where, _shown_name(k))) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(v, env, source, (*where, i)) for i, v in enumerate(node)]
    if not isinstance(node, str):
        return node

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        field = ".".join(str(p) for p in where) or "<root>"
        raise ConfigError(f"{source}: {field}: environment variable {name} is not set")

    return _ENV_REF.sub(substitute, node)


def _validate(raw: dict[str, Any], source: str) -> HybridRouteConfig:
    try:
        config = HybridRouteConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{source}: invalid configuration\n{_describe(exc)}") from None
    _check_ner_model(config.privacy, source)
    return config


def _check_ner_model(privacy: PrivacySettings, source: str) -> None:
    """A missing NER model would fail every scan closed (all traffic local-only), silently."""
    if not (privacy.enabled and privacy.ner) or ner_model_installed(privacy.ner_model):
        return
    raise ConfigError(
        f"{source}: invalid configuration\n  privacy.ner_model: no installed spaCy model "
        f"{privacy.ner_model!r} (install its package, or set privacy.ner: false)"
    )


def ner_model_installed(name: str) -> bool:
    """Whether spaCy could load ``name``: a model directory, or an importable model package.

    Found without importing spaCy (seconds) or the model; loading itself happens at warm-up.
    """
    if Path(name).expanduser().is_dir():
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _describe(exc: ValidationError, prefix: tuple[str, ...] = ()) -> str:
    """One line per problem: the field path and pydantic's message, never the input value."""
    errors = exc.errors(include_input=False, include_url=False)
    failing = [tuple(err["loc"]) for err in errors]
    lines = []
    for err in errors:
        loc_parts = tuple(err["loc"])
        # A list whose items failed also reports "too short" (its valid items are counted):
        # noise that contradicts the file, so only the items' own errors are shown.
        if err["type"] == "too_short" and any(
            other[: len(loc_parts)] == loc_parts and len(other) > len(loc_parts)
            for other in failing
        ):
            continue
        loc = _safe_loc((*prefix, *loc_parts), extra=err["type"] == "extra_forbidden")
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "union_tag_invalid":
            msg = "unknown tier kind; expected one of: llama_cpp, openai"
        # Whole-file checks name their fields in the message itself.
        lines.append(f"  {loc}: {msg}" if loc else f"  {msg}")
    return "\n".join(lines)


# A key of the file is user data: it is named in an error only when it looks like a name, so a
# secret pasted as a key (`sk-live-...: true`) is never echoed, as the gateway's request errors
# do (`server.errors._safe_part`). An unknown key is shown when it looks like a field name
# (`apikey`, a typo), the keys of the mappings below by their own rule, others as `<key>`.
_FIELD_LIKE = re.compile(r"[a-z_][a-z0-9_]{0,39}")
# Names the user chooses (features, model aliases): model-name shaped, so `gpt-4o-mini` and
# `llama3.1:8b` are shown; not upper case, not longer than 40, no run of six digits.
_NAME_LIKE = re.compile(r"(?!.*[0-9]{6})[a-z][a-z0-9_.:-]{0,39}")
_KNOWN_PRIVACY_KEYS = frozenset(EntityType) | frozenset(Category)


def _shown_name(name: object, placeholder: str = "<key>") -> str:
    """`name` if it looks like a field or a chosen name (see above), else `placeholder`."""
    if isinstance(name, str) and (_FIELD_LIKE.fullmatch(name) or _NAME_LIKE.fullmatch(name)):
        return name
    return placeholder


def _shown_privacy_key(name: object) -> str:
    return name if isinstance(name, str) and name in _KNOWN_PRIVACY_KEYS else "<key>"


# The mappings whose keys the user names, by the path of the mapping.
_USER_KEYED: dict[tuple[str | int, ...], Callable[[object], str]] = {
    ("features",): _shown_name,
    ("server", "model_aliases"): _shown_name,
    ("privacy", "sensitivity"): _shown_privacy_key,
    ("privacy", "category_boosts"): _shown_privacy_key,
}


def _safe_loc(loc: tuple[str | int, ...], *, extra: bool) -> str:
    """A pydantic error location with the file's own keys shown only when safe (see above)."""
    parts = []
    for index, part in enumerate(loc):
        shown = _USER_KEYED.get(loc[:index])
        if shown is not None:
            parts.append(shown(part))
        elif extra and index == len(loc) - 1:  # the unknown key itself
            parts.append(part if isinstance(part, str) and _FIELD_LIKE.fullmatch(part) else "<key>")
        else:  # a field name, a list position or a union tag: from the models, not the file
            parts.append(str(part))
    return ".".join(parts)
