"""`hybridroute chat`, `route` and `tiers`: ask, explain, inspect."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hybridroute.config import HybridRouteConfig, load_config
from hybridroute.context import Hints, Mode, RequestContext
from hybridroute.errors import ConfigError, HybridRouteError, TierUnavailable
from hybridroute.router import Routed, Router
from hybridroute.tiers.llamacpp import LlamaCppTier
from hybridroute.types import Request

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML config (default: built-in).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _positive_budget(value: float | None) -> float | None:
    if value is not None and not value > 0:  # also refuses nan
        raise typer.BadParameter("the latency budget must be a positive number of milliseconds")
    return value


BudgetOption = Annotated[
    float | None,
    typer.Option("--budget-ms", help="Latency budget (ms).", callback=_positive_budget),
]
ModeOption = Annotated[Mode | None, typer.Option("--mode", help="Preference mode.")]


def chat(
    prompt: Annotated[str, typer.Argument(help="The question; '-' reads stdin.")],
    config: ConfigOption = None,
    tier: Annotated[str | None, typer.Option("--tier", help="Force this tier.")] = None,
    budget_ms: BudgetOption = None,
    mode: ModeOption = None,
    max_tokens: Annotated[int, typer.Option(min=1)] = 256,
    temperature: Annotated[float, typer.Option(min=0.0, max=2.0)] = 0.2,
    as_json: JsonOption = False,
) -> None:
    """Answer PROMPT through the router and show which tier served it, and how fast."""
    text = _prompt_text(prompt)
    if not text.strip():
        # Nothing to ask: refused here, before a tier is called (and bills for it).
        raise _usage_error("the prompt is empty; nothing was sent")
    with _clean_errors():
        settings = load_config(config)
    if tier is not None:
        _check_tier(tier, settings)
    request = Request.from_prompt(text, max_tokens=max_tokens, temperature=temperature)
    context = RequestContext(budget_ms=budget_ms, mode=mode, hints=Hints(force_tier=tier))
    started = time.perf_counter()
    routed = _run(_complete(settings, request, context))
    latency_ms = (time.perf_counter() - started) * 1000
    if as_json:
        typer.echo(json.dumps(_chat_json(routed, latency_ms)))
        return
    console = Console()
    _write_answer(routed.completion.text)
    t = routed.completion.timings
    console.print(
        f"[dim]tier={routed.tier} plan={routed.decision.plan.kind} "
        f"reasons={routed.decision.summary()} latency={latency_ms:.0f}ms "
        f"ttft={_ms(t.ttft_ms)} decode={_tps(t.decode_tps)} "
        f"tokens={routed.completion.usage.prompt_tokens}+"
        f"{routed.completion.usage.completion_tokens} cost=${routed.cost_usd:.6f}"
        f"{' DEGRADED' if routed.degraded else ''}[/dim]"
    )


def route(
    prompt: Annotated[str, typer.Argument(help="The question; '-' reads stdin.")],
    config: ConfigOption = None,
    budget_ms: BudgetOption = None,
    mode: ModeOption = None,
    feature: Annotated[str | None, typer.Option("--feature")] = None,
    as_json: JsonOption = False,
) -> None:
    """Explain where PROMPT would be routed and why, without calling any model."""
    text = _prompt_text(prompt)
    context = RequestContext(budget_ms=budget_ms, mode=mode, feature=feature)
    with _clean_errors():
        decision = _router(config).route(Request.from_prompt(text), context)
    if as_json:
        typer.echo(json.dumps(decision.as_dict()))
        return
    console = Console()
    console.print(f"plan: [bold]{decision.plan.kind}[/bold] → tier [bold]{decision.tier}[/bold]")
    for reason in decision.reasons:
        numbers = " ".join(f"{k}={v}" for k, v in reason.numbers.items())
        where = f" ({reason.tier})" if reason.tier else ""
        console.print(
            f"  • {reason.rule}{where}: {escape(reason.message)} [dim]{escape(numbers)}[/dim]"
        )
    table = Table("tier", "eligible", "quality", "p50 ms", "p95 ms", "cost $", "score")
    for e in decision.estimates:
        table.add_row(
            e.tier,
            str(e.eligible),
            f"{e.quality:.2f}",
            f"{e.latency_p50_ms:.0f}",
            f"{e.latency_p95_ms:.0f}",
            f"{e.cost_usd:.6f}",
            "-" if e.score is None else f"{e.score:.3f}",
        )
    console.print(table)


def tiers(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List the configured tiers with their health and measured speeds."""
    rows = _run(_tier_rows(config))
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table(
        "name",
        "location",
        "trusted",
        "model",
        "health",
        "prefill tok/s",
        "decode tok/s",
        "$/1M in",
        "$/1M out",
        "context",
    )
    for r in rows:
        table.add_row(
            r["name"],
            r["location"],
            str(r["trusted"]),
            r["model"],
            r["health"],
            f"{r['prefill_tps']:.0f}",
            f"{r['decode_tps']:.0f}",
            f"{r['price_in_per_m']:.2f}",
            f"{r['price_out_per_m']:.2f}",
            str(r["context_window"]),
        )
    Console().print(table)


async def _complete(
    settings: HybridRouteConfig, request: Request, context: RequestContext
) -> Routed:
    async with Router.from_config(settings) as router:
        return await router.complete(request, context)


def _check_tier(tier: str, settings: HybridRouteConfig) -> None:
    """A --tier that names no configured tier is bad usage (exit 2), not a routing outcome."""
    names = [t.name for t in settings.tiers]
    if tier not in names:
        raise _usage_error(
            f"--tier {tier!r} is not a configured tier (configured: {', '.join(names)})"
        )


def _usage_error(message: str) -> typer.Exit:
    """One line, as for a config error (typer's boxed message wraps at 80 columns); exit 2."""
    Console(stderr=True, soft_wrap=True).print(
        f"[red]error:[/red] {escape(message)}", highlight=False
    )
    return typer.Exit(2)


# What a terminal acts on instead of showing: C0 controls but tab and newline (a carriage
# return too, unless it ends a line: "\r\n" is harmless), DEL, and C1 (U+009B is a CSI).
_TERMINAL_CONTROLS = re.compile(r"\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LONE_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _write_answer(text: str) -> None:
    """Print a tier's answer: as it is to a pipe or file, with its control characters shown,
    not obeyed, on a terminal (an untrusted tier's answer could otherwise write the clipboard
    with OSC 52, clear the screen or hide text)."""
    # A lone surrogate (a JSON "\ud800") has no UTF-8 form: U+FFFD, not a traceback.
    text = _LONE_SURROGATES.sub("\ufffd", text)
    if sys.stdout.isatty():
        text = _TERMINAL_CONTROLS.sub(_visible_control, text)
    # No markup, emoji codes or wrapping; color=True as click strips ANSI codes from a pipe.
    typer.echo(text, color=True)


def _visible_control(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20 or code == 0x7F:
        return "^" + chr(code ^ 0x40)  # caret notation, as `cat -v` and less show it: ESC is ^[
    return f"<U+{code:04X}>"  # C1 has no caret form


async def _tier_rows(config: Path | None) -> list[dict[str, Any]]:
    async with _router(config) as router:
        for tier in router.tiers.values():
            if isinstance(tier, LlamaCppTier):
                # Measures this machine's speed; a model that does not load is shown down
                # below, with its reason, instead of hiding every other tier.
                with contextlib.suppress(TierUnavailable):
                    await tier.load()
        health = await router.health()
        rows = []
        for name, tier in router.tiers.items():
            info = tier.info
            rows.append(
                {
                    "name": name,
                    "location": str(info.location),
                    "trusted": info.trusted,
                    "model": info.model,
                    "health": str(health[name].status),
                    "health_detail": health[name].detail,
                    "prefill_tps": info.latency.prefill_tps,
                    "decode_tps": info.latency.decode_tps,
                    "rtt_ms": info.latency.rtt_ms,
                    "price_in_per_m": info.price_in_per_m,
                    "price_out_per_m": info.price_out_per_m,
                    "context_window": info.context_window,
                    "load_ms": getattr(tier, "load_ms", None),
                }
            )
        return rows


def _router(config: Path | None) -> Router:
    return Router.from_config(load_config(config))


def _prompt_text(prompt: str) -> str:
    """The prompt argument, or stdin for '-'; text that is not UTF-8 is refused here, where the
    fault lies, instead of failing later inside a tier."""
    try:
        if prompt == "-":
            return sys.stdin.buffer.read().decode("utf-8")
        prompt.encode("utf-8")  # undecodable argv bytes arrive as lone surrogates
    except (UnicodeDecodeError, UnicodeEncodeError) as exc:
        raise typer.BadParameter(
            f"the prompt is not UTF-8 text (at position {exc.start + 1})", param_hint="PROMPT"
        ) from None
    return prompt


def _run(coro: Any) -> Any:
    """Run at the edge; a hybridroute error becomes a one-line message and exit code 1 (2 for
    a config error: bad input)."""
    with _clean_errors():
        return asyncio.run(coro)


@contextmanager
def _clean_errors() -> Iterator[None]:
    try:
        yield
    except HybridRouteError as exc:
        Console(stderr=True, soft_wrap=True).print(
            f"[red]error:[/red] {type(exc).__name__}: {escape(str(exc))}", highlight=False
        )
        raise typer.Exit(2 if isinstance(exc, ConfigError) else 1) from None


def _chat_json(routed: Routed, latency_ms: float) -> dict[str, Any]:
    c = routed.completion
    return {
        "answer": c.text,
        "tier": routed.tier,
        "latency_ms": round(latency_ms, 1),
        "usage": {
            "prompt_tokens": c.usage.prompt_tokens,
            "completion_tokens": c.usage.completion_tokens,
            "total_tokens": c.usage.total_tokens,
        },
        "timings": {
            "ttft_ms": c.timings.ttft_ms,
            "total_ms": c.timings.total_ms,
            "decode_tps": c.timings.decode_tps,
        },
        "finish_reason": c.finish_reason,
        "cost_usd": routed.cost_usd,
        "degraded": routed.degraded,
        "plan": routed.decision.plan.kind,
        "reasons": [r.rule for r in routed.decision.reasons],
        "request_id": routed.request_id,
    }


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}ms"


def _tps(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}tok/s"
