"""In-process A/B speed of the privacy scanner: two versions of the code, one process.

    .venv/bin/python benchmarks/privacy_ab.py                   # HEAD vs the working tree
    .venv/bin/python benchmarks/privacy_ab.py --base 3213e16 --head HEAD --json ab.json

Separate runs drift with the machine (a shared 2-core box moves by several percent from one
minute to the next); calls of the two versions taking turns in one process are hit alike, so
the ratio holds. `--base REV` (default HEAD) is exported with `git archive` into a temporary
directory as the package `hybridroute_ab_base`; `--head REV` likewise as `hybridroute_ab_head`,
or, without it, the working tree's `src/hybridroute` is imported as it is. In an exported copy
every whole word `hybridroute` in its Python files is rewritten to the new name: imports, the
package name its data files are read through (`importlib.resources.files("hybridroute...")`)
and process-wide names such as the `hybridroute-ascii-fold` codec error handler, which would
otherwise be shared by (and favour) whichever copy registered it last. After warm-up the
script checks that the copy loaded none of the working tree's modules.

Fast mode (`PrivacySettings(ner=False)`) unless `--full`; three kinds of text at `--tokens`
tokens (privacy_speed.py's `prose`, `pii_dense` and `cjk`, 60 texts each); `--rounds` rounds of
`--calls` calls per version and kind, interleaved call by call, the order alternating by round.
Before timing, the two versions scan every text once and the number of texts on which their
entity lists differ is reported (a count; no text or value is printed).
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import platform
import re
import shlex
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "hybridroute"
TEXTS = 60  # texts per kind; the calls cycle through them
_WORD = re.compile(rf"\b{PACKAGE}\b")


class Failure(Exception):
    """A clear error for the user: message and exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Tree:
    """One side of the comparison: where its code comes from and how it is imported."""

    role: str  # "base" or "head"
    rev: str | None  # as given; None = the working tree
    commit: str | None  # full hash; None = the working tree
    module: str  # top-level package name to import
    label: str = ""

    @cached_property
    def short(self) -> str:
        return git("rev-parse", "--short", self.commit) if self.commit else "working tree"


def git(*args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=60
    )
    if done.returncode != 0:
        raise Failure(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def resolve(rev: str) -> str:
    """The commit a revision names, or exit code 2."""
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise Failure(f"unknown git revision {rev!r} (not a commit in {ROOT})", code=2)
    return done.stdout.strip()


def export(commit: str, module: str, into: Path) -> tuple[int, int]:
    """`src/hybridroute` at `commit` as package `module` under `into`; returns (files
    rewritten, references rewritten)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, f"src/{PACKAGE}"],
        cwd=ROOT,
        capture_output=True,
        check=False,
        timeout=120,
    )
    if archive.returncode != 0:
        message = archive.stderr.decode(errors="replace").strip()
        raise Failure(f"git archive {commit[:12]} src/{PACKAGE} failed: {message}", code=2)
    staging = into / f"{module}.src"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(staging, filter="data")
    target = into / module
    (staging / "src" / PACKAGE).rename(target)
    files = references = 0
    for path in sorted(target.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        new, count = _WORD.subn(module, text)
        if count:
            path.write_text(new, encoding="utf-8")
            files += 1
            references += count
    return files, references


def own_modules(prefix: str) -> set[str]:
    return {name for name in sys.modules if name == prefix or name.startswith(prefix + ".")}


def check_isolated(tree: Tree, root: Path, before: set[str]) -> None:
    """The copy's modules and data come from `root`, and it pulled in no `hybridroute.*`."""
    leaked = own_modules(PACKAGE) - before
    if leaked:
        raise Failure(
            f"the {tree.role} copy imported the working tree's {sorted(leaked)[:5]}: "
            "a module path the rewrite missed"
        )
    for name in own_modules(tree.module):
        where = getattr(sys.modules[name], "__file__", None)
        if where and not Path(where).resolve().is_relative_to(root.resolve()):
            raise Failure(f"{name} was loaded from {where}, not from {root}")
    data = Path(str(resources.files(f"{tree.module}.privacy")))
    if not data.resolve().is_relative_to(root.resolve()):
        raise Failure(f"{tree.module}.privacy data resolve to {data}, not under {root}")


def scanner_for(tree: Tree, full: bool) -> Callable[[str], Any]:
    privacy = importlib.import_module(f"{tree.module}.privacy")
    settings = privacy.PrivacySettings() if full else privacy.PrivacySettings(ner=False)
    return privacy.PrivacyScanner(settings).assess  # type: ignore[no-any-return]


def entity_list(assessment: Any) -> tuple[tuple[str, int, int, float], ...]:
    return tuple((str(e.type), e.start, e.end, round(e.score, 4)) for e in assessment.entities)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cpus)"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} cpus)"


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rerun_command(args: argparse.Namespace, base: Tree, head: Tree) -> str:
    """The same comparison again: revisions pinned to their hashes, every setting spelled."""
    python = Path(sys.executable)
    try:
        python = python.relative_to(ROOT)
    except ValueError:
        pass
    script = Path(__file__).resolve().relative_to(ROOT)
    parts = [str(python), str(script), "--base", base.short]
    if head.commit:
        parts += ["--head", head.short]
    parts += ["--tokens", str(args.tokens), "--rounds", str(args.rounds)]
    parts += ["--calls", str(args.calls), "--seed", str(args.seed)]
    if args.full:
        parts.append("--full")
    return shlex.join(parts)


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    base = Tree("base", args.base, resolve(args.base), f"{PACKAGE}_ab_base")
    head = (
        Tree("head", args.head, resolve(args.head), f"{PACKAGE}_ab_head")
        if args.head
        else Tree("head", None, None, PACKAGE)
    )
    head_of_tree = git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--porcelain", "--", f"src/{PACKAGE}"))
    base.label = f"{base.short} ({base.rev})"
    head.label = (
        f"{head.short} ({head.rev})"
        if head.commit
        else f"working tree on {head_of_tree}, src/{PACKAGE} "
        + ("modified (dirty)" if dirty else "clean")
    )

    progress(f"temporary directory: {workdir}")
    scanners: dict[str, Callable[[str], Any]] = {}
    for tree in (base, head):
        before = own_modules(PACKAGE)
        if tree.commit:
            files, refs = export(tree.commit, tree.module, workdir)
            progress(
                f"{tree.role}: {tree.label} exported as {tree.module} "
                f"({refs} references to {PACKAGE!r} rewritten in {files} files)"
            )
            sys.path.insert(0, str(workdir))
        else:
            src = ROOT / "src"
            if str(src) not in sys.path:
                sys.path.insert(0, str(src))
        try:
            scanners[tree.role] = scanner_for(tree, args.full)
            scanners[tree.role]("warm up: John Smith lives at 10 Downing Street, 212-555-0187.")
        except Exception as error:
            message = f"could not load the {tree.role} scanner ({tree.label}): {error!r}"
            raise Failure(message) from error
        if tree.commit:
            check_isolated(tree, workdir / tree.module, before)
        else:
            where = Path(sys.modules[PACKAGE].__file__ or "").resolve()
            if not where.is_relative_to((ROOT / "src").resolve()):
                raise Failure(f"{PACKAGE} was imported from {where}, not from {ROOT / 'src'}")
            progress(f"head: {head.label}, imported from {where.parent}")

    # privacy_speed imports hybridroute (the working tree) itself: only after the checks.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import privacy_speed as ps

    kinds = {
        "prose": ps.make_texts(args.tokens, TEXTS, args.seed, ps.prose_prompts()),
        "pii_dense": ps.make_texts(args.tokens, TEXTS, args.seed),
        "cjk": ps.make_texts(args.tokens, TEXTS, args.seed, ps.cjk_prompts()),
    }
    differing: dict[str, int] = {}
    for kind, texts in kinds.items():
        differing[kind] = sum(
            entity_list(scanners["base"](t)) != entity_list(scanners["head"](t)) for t in texts
        )
        progress(f"{kind}: entity lists differ on {differing[kind]} of {len(texts)} texts")

    ps.warm_up(dict(scanners))
    samples: dict[str, dict[str, list[float]]] = {k: {"base": [], "head": []} for k in kinds}
    started = time.monotonic()
    for round_ in range(args.rounds):
        order = ("head", "base") if round_ % 2 else ("base", "head")
        systems = {name: scanners[name] for name in order}
        for kind, texts in kinds.items():
            got = ps.interleaved(systems, texts, dict.fromkeys(systems, args.calls))
            for name, values in got.items():
                samples[kind][name] += values
            ratio = ps.percentile(got["head"], 0.5) / ps.percentile(got["base"], 0.5)
            progress(
                f"round {round_ + 1}/{args.rounds} {kind} ({order[0]} first): "
                f"base p50 {ps.percentile(got['base'], 0.5):.3f} ms, "
                f"head p50 {ps.percentile(got['head'], 0.5):.3f} ms, head/base {ratio:.3f} "
                f"[{time.monotonic() - started:.0f} s]"
            )

    rows = []
    for kind in kinds:
        row: dict[str, Any] = {"kind": kind, "tokens": args.tokens, "texts": TEXTS}
        for name in ("base", "head"):
            row[name] = ps.summary(samples[kind][name])
        row["ratio_p50"] = round(row["head"]["p50_ms"] / row["base"]["p50_ms"], 3)
        row["ratio_p99"] = round(row["head"]["p99_ms"] / row["base"]["p99_ms"], 3)
        row["differing_entity_lists"] = differing[kind]
        rows.append(row)
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "mode": "full" if args.full else "fast",
        "base": {"rev": base.rev, "commit": base.commit, "short": base.short},
        "head": {
            "rev": head.rev,
            "commit": head.commit,
            "short": head.short,
            "working_tree": head.commit is None,
            "working_tree_head": head_of_tree if head.commit is None else None,
            "dirty": dirty if head.commit is None else None,
        },
        "base_label": base.label,
        "head_label": head.label,
        "rounds": args.rounds,
        "calls_per_round": args.calls,
        "seed": args.seed,
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "command": rerun_command(args, base, head),
        "rows": rows,
    }


def table(report: dict[str, Any]) -> str:
    lines = [
        f"Privacy scanner A/B, {report['mode']} mode, {report['rounds']} rounds x "
        f"{report['calls_per_round']} calls per version and kind, one process",
        "",
        "| text | tokens | base p50 / p99 ms | head p50 / p99 ms | head/base p50 | head/base p99 "
        "| texts with different entities |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in report["rows"]:
        b, h = row["base"], row["head"]
        lines.append(
            f"| {row['kind']} | {row['tokens']} | {b['p50_ms']:.3f} / {b['p99_ms']:.3f} | "
            f"{h['p50_ms']:.3f} / {h['p99_ms']:.3f} | {row['ratio_p50']:.3f} | "
            f"{row['ratio_p99']:.3f} | {row['differing_entity_lists']} of {row['texts']} |"
        )
    lines += [
        "",
        f"- base: {report['base_label']}",
        f"- head: {report['head_label']}",
        f"- machine: {report['cpu']}, Python {report['python']}",
        f"- rerun: `{report['command']}`",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="git revision to compare against")
    parser.add_argument("--head", help="git revision (default: the working tree)")
    parser.add_argument("--full", action="store_true", help="full mode (spaCy NER)")
    parser.add_argument("--tokens", type=int, default=1000, help="tokens per text")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds")
    parser.add_argument("--calls", type=int, default=300, help="calls per version, kind, round")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    if min(args.tokens, args.rounds, args.calls) < 1:
        parser.error("--tokens, --rounds and --calls must be at least 1")

    # SIGTERM unwinds like Ctrl-C, so the temporary directory goes either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        with tempfile.TemporaryDirectory(prefix="privacy_ab_") as workdir:
            report = run(args, Path(workdir))
    except Failure as failure:
        print(f"privacy_ab: error: {failure}", file=sys.stderr)
        return failure.code
    print(table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
