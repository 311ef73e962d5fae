"""One of our own source files at a git revision, loaded as a module of its own, so that a
benchmark can time the old and the new version in one process (alternating, same minutes)."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_at(path: str, revision: str | None) -> types.ModuleType:
    """The file `path` (relative to the repository) at `revision`; None: the working tree.

    Its imports resolve against the installed tree, so only this one file is old."""
    if revision is None:
        source = (ROOT / path).read_text(encoding="utf-8")
    else:
        source = subprocess.run(
            ["git", "show", f"{revision}:{path}"], cwd=ROOT, capture_output=True, text=True,
            check=True,
        ).stdout  # fmt: skip
    module = types.ModuleType(f"{Path(path).stem}_{revision or 'tree'}")
    sys.modules[module.__name__] = module  # dataclasses look their module up there
    exec(compile(source, path, "exec"), module.__dict__)  # our own file, at a revision
    return module
