"""llama.cpp's own verdict on grammars: whether it builds their sampler, in a child process
(a grammar it fails on must not take the tests down), with the model's vocabulary only."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import json, sys
import llama_cpp
from llama_cpp import Llama

llm = Llama(model_path=sys.argv[1], vocab_only=True, verbose=False)
verdicts = []
for grammar in json.load(sys.stdin):
    sampler = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, grammar.encode(), b"root")
    verdicts.append(bool(sampler))
    if sampler:
        llama_cpp.llama_sampler_free(sampler)
json.dump(verdicts, sys.stdout)
"""


def llama_cpp_accepts(gguf: Path, grammars: list[str]) -> list[bool]:
    """For each grammar, whether llama.cpp builds a grammar sampler for it."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(gguf)],
        input=json.dumps(grammars),
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=_cap_memory,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    verdicts: list[bool] = json.loads(done.stdout)
    return verdicts


def _cap_memory() -> None:
    # A grammar llama.cpp expands without bound fails here instead of starving the machine.
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
