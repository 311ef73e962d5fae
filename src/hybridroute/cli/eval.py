"""``hybridroute eval`` and ``hybridroute convert``: measure a router on recorded answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from hybridroute.errors import HybridRouteError
from hybridroute.evaluation import converters
from hybridroute.evaluation.dataset import DatasetError, load_dataset, write_dataset
from hybridroute.evaluation.harness import DEFAULT_BINS, MAX_BINS, evaluate
from hybridroute.evaluation.metrics import NoGapToRecover
from hybridroute.evaluation.plot import PlotError, check_target, plot_curves
from hybridroute.evaluation.report import to_report, to_table
from hybridroute.evaluation.routers import ROUTERS, build_router


def eval_command(
    dataset: Annotated[Path, typer.Argument(help="JSONL rows: prompt, local_score, cloud_score")],
    router: Annotated[
        str, typer.Option(help=f"router to evaluate: {', '.join(sorted(ROUTERS))}")
    ] = "capability",
    json_output: Annotated[bool, typer.Option("--json", help="print JSON, not a table")] = False,
    plot: Annotated[Path | None, typer.Option(help="write the cost-quality curve PNG")] = None,
    # Each bin is one threshold over every row; past 10,000 the curve gains nothing visible
    # and memory grows with bins x rows (a million bins took 2.5 GB on 3 rows).
    bins: Annotated[
        int, typer.Option(min=2, max=MAX_BINS, help="threshold sweep bins")
    ] = DEFAULT_BINS,
    model_path: Annotated[
        Path | None, typer.Option(help="capability model directory (default: shipped)")
    ] = None,
) -> None:
    """Sweep a router's threshold over a dataset: APGR, CPT(50%), CPT(80%), baselines."""
    # Everything that can be checked is checked before the (possibly long) scoring run.
    with _fail_cleanly():
        if plot is not None:
            check_target(plot)
        examples = load_dataset(dataset)
        scorer = build_router(router, model_path)
        evaluation = evaluate(
            examples, scorer, router_name=router, dataset=dataset.name, bins=bins, progress=True
        )
    if json_output:
        typer.echo(to_report(evaluation).model_dump_json(indent=2))
    else:
        Console().print(to_table(evaluation))
    if plot is not None:
        with _fail_cleanly():
            plot_curves(evaluation, plot)


class Source(StrEnum):
    """Files ``hybridroute convert`` understands."""

    MMLU = "mmlu"
    GSM8K = "gsm8k"
    MT_BENCH = "mt-bench"
    ROUTERBENCH = "routerbench"


def convert_command(
    source: Annotated[Source, typer.Argument(help="kind of input file")],
    inputs: Annotated[
        list[Path],
        typer.Argument(help="responses CSV; for mt-bench: questions.jsonl judgements.jsonl"),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="JSONL dataset to write")],
    contaminated: Annotated[
        Path | None, typer.Option(help="RouteLLM contaminated_prompts.jsonl to drop")
    ] = None,
    local_model: Annotated[str, typer.Option(help="routerbench column")] = (
        converters.ROUTERBENCH_LOCAL
    ),
    cloud_model: Annotated[str, typer.Option(help="routerbench column")] = (
        converters.ROUTERBENCH_CLOUD
    ),
    each_turn: Annotated[
        bool, typer.Option(help="mt-bench: one row per turn (data README), not per question")
    ] = False,
) -> None:
    """Convert RouteLLM / RouterBench files into the eval dataset format."""
    expected = 2 if source is Source.MT_BENCH else 1
    if len(inputs) != expected:
        raise typer.BadParameter(f"{source.value} takes {expected} input file(s)")
    with _fail_cleanly():
        if source is Source.MT_BENCH:
            examples = converters.convert_mt_bench(
                inputs[0], inputs[1], contaminated=contaminated, each_turn=each_turn
            )
        elif source is Source.ROUTERBENCH:
            examples = converters.convert_routerbench(
                inputs[0], local_model=local_model, cloud_model=cloud_model
            )
        else:
            examples = converters.convert_routellm_correctness(inputs[0], contaminated=contaminated)
        count = write_dataset(examples, out)
    # markup=False: a path is text, and one like 'a[/b]/c.jsonl' is not valid rich markup.
    Console(stderr=True, soft_wrap=True).print(
        f"wrote {count} rows to {out}", markup=False, highlight=False
    )


@contextmanager
def _fail_cleanly() -> Iterator[None]:
    """Bad input or a bad target is one line on stderr and exit code 2, not a traceback."""
    try:
        yield
    except (DatasetError, NoGapToRecover, PlotError, HybridRouteError) as exc:
        message = str(exc)
    except KeyError as exc:  # an unknown router: str() of a KeyError adds quotes
        message = str(exc.args[0])
    except OSError as exc:
        message = f"{exc.filename}: {exc.strerror or type(exc).__name__}"
    else:
        return
    # soft_wrap: a long path stays on one line, whole, to copy.
    console = Console(stderr=True, soft_wrap=True)
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code=2)
