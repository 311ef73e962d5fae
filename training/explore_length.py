"""Does routing by prompt length help inside the training tasks the evaluation pair scored?
(issue #4, a check after the seventh round.)

Exploration only; nothing here is shipped. Prompt length beats the shipped model on the
RouteLLM MMLU and GSM8K sets, and the earlier rounds found no support for it on the training
sources as a whole (its mean within-task APGR is below random). The three RouterBench tasks
are the only training rows scored by the evaluation sets' own pair (Mixtral as local, GPT-4 as
cloud), so a criterion restricted to them would be the one argument left for a length term.
This prints, for every criterion task, the within-task APGR of "longer -> cloud" next to the
spread of random scores; the RouteLLM sets are not read::

    PYTHONPATH=src:. .venv/bin/python -m training.explore_length --data ../shared/data

(about 10 seconds.)
"""

from __future__ import annotations

import numpy as np

from training.same_folds import SameFolds
from training.selection import criterion_tasks, routing_apgr, tie_break

RANDOM_DRAWS = 50
PAIR_TASKS = "routerbench/"  # rows scored by Mixtral (weak) and GPT-4 (strong)


def main() -> None:
    bench = SameFolds.from_command_line(__doc__)
    weak = np.array([p.weak_score for p in bench.rows], dtype=np.float64)
    strong = np.array([p.strong_score for p in bench.rows], dtype=np.float64)
    tasks = np.array([p.task or "" for p in bench.rows])
    length = np.log1p([len(p.prompt) for p in bench.rows]) + tie_break(len(bench.rows))
    rng = np.random.default_rng(0)
    print("| task | rows | weak | strong | length APGR | random sd |")
    print("|---|---|---|---|---|---|")
    pair: list[float] = []
    for task, rows in criterion_tasks(tasks, weak, strong):
        apgr = routing_apgr(length[rows], weak[rows], strong[rows])
        spread = np.std(
            [
                routing_apgr(rng.random(int(rows.sum())), weak[rows], strong[rows])
                for _ in range(RANDOM_DRAWS)
            ]
        )
        if task.startswith(PAIR_TASKS):
            pair.append(apgr)
        print(
            f"| {task} | {int(rows.sum())} | {weak[rows].mean():.2f} | {strong[rows].mean():.2f}"
            f" | {apgr:.3f} | {spread:.3f} |"
        )
    print(f"\nmean over the evaluation pair's own tasks ({len(pair)}): {np.mean(pair):.3f}")


if __name__ == "__main__":
    main()
