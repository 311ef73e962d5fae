"""The `hybridroute` command line: thin wrappers that call the library at the edge."""

from __future__ import annotations

import sys

import typer

from hybridroute.cli.chat import chat, route, tiers
from hybridroute.cli.eval import convert_command, eval_command
from hybridroute.cli.scan import scan
from hybridroute.cli.serve import exec_for_serving, hash_key, serve

app = typer.Typer(
    name="hybridroute",
    help="Route LLM requests across device, private-cloud and public-cloud tiers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(chat)
app.command()(route)
app.command()(tiers)
app.command()(scan)
app.command("eval")(eval_command)
app.command("convert")(convert_command)
app.command()(serve)
app.command("hash-key")(hash_key)


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        exec_for_serving(sys.argv)
    app(prog_name="hybridroute")
