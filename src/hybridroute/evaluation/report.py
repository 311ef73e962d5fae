"""Show an Evaluation: a rich table for people, pydantic JSON for machines (``--json``)."""

from __future__ import annotations

from pydantic import BaseModel
from rich.markup import escape
from rich.table import Table

from hybridroute.evaluation.harness import Evaluation, RouterResult, share_for_95_applies


class CurvePointReport(BaseModel):
    cloud_share: float
    quality: float


class RouterReport(BaseModel):
    name: str
    apgr: float
    cpt50: float | None
    cpt80: float | None
    share_for_95_percent_quality: float | None
    curve: list[CurvePointReport]


class EvaluationReport(BaseModel):
    """The ``--json`` output of ``hybridroute eval``; shares are fractions in [0, 1]."""

    dataset: str
    rows: int
    local_quality: float
    cloud_quality: float
    routers: list[RouterReport]


def _router_report(result: RouterResult) -> RouterReport:
    return RouterReport(
        name=result.name,
        apgr=result.apgr,
        cpt50=result.cpt50,
        cpt80=result.cpt80,
        share_for_95_percent_quality=result.share_for_95,
        curve=[
            CurvePointReport(cloud_share=p.cloud_share, quality=p.quality) for p in result.curve
        ],
    )


def to_report(evaluation: Evaluation) -> EvaluationReport:
    """The JSON-ready form of an evaluation."""
    return EvaluationReport(
        dataset=evaluation.dataset,
        rows=evaluation.rows,
        local_quality=evaluation.local_quality,
        cloud_quality=evaluation.cloud_quality,
        routers=[
            _router_report(r) for r in (evaluation.router, evaluation.random, evaluation.oracle)
        ],
    )


def _percent(share: float | None) -> str:
    return "never" if share is None else f"{share:.1%}"


def to_table(evaluation: Evaluation) -> Table:
    """A rich table: one row per router, baselines included."""
    applies = share_for_95_applies(evaluation.cloud_quality)
    table = Table(
        # Escaped: rich reads a file named '[blink]x.jsonl' as markup and would title it 'x.jsonl'.
        title=f"{escape(evaluation.dataset)}: {evaluation.rows} prompts, local quality "
        f"{evaluation.local_quality:.3f}, cloud quality {evaluation.cloud_quality:.3f}",
        caption=None
        if applies
        else "n/a: cloud quality is not positive, so 95% of it is no target",
    )
    for column in ("router", "APGR", "CPT(50%)", "CPT(80%)", "cloud share for 95% quality"):
        table.add_column(column, justify="left" if column == "router" else "right")
    # The baseline is random routing's expected curve; `--router random` is one seeded draw.
    same_name = evaluation.router.name == evaluation.random.name
    for result in (evaluation.router, evaluation.random, evaluation.oracle):
        label = "random (expected)" if same_name and result is evaluation.random else result.name
        table.add_row(
            escape(label),
            f"{result.apgr:.3f}",
            _percent(result.cpt50),
            _percent(result.cpt80),
            _percent(result.share_for_95) if applies else "n/a",
        )
    return table
