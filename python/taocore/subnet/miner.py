"""The local subnet's miners: each serves one ONNX model with onnxruntime in its own process.

Miner models are untrusted, so every miner runs in a separate worker process (multiprocessing
with the ``forkserver`` start method where there is one, otherwise ``spawn``; never ``fork``),
and the pool that talks to the workers never lets a miner's fault reach its caller:

* **Hash-bound loading.** A worker reads the model file once, checks that its SHA-256 equals
  the hash the miner registered, and hands those same bytes to onnxruntime, so the file cannot
  change between check and load. Models that refer to external data files are refused (those
  files would not be covered by the hash).
* **Limits.** onnxruntime runs single-threaded (``intra_op_num_threads = inter_op_num_threads
  = 1``); the worker's address space is capped with ``RLIMIT_AS`` (``memory_limit``, bytes);
  every request has a wall-clock ``timeout``, after which the worker is killed and a fresh one
  started in its place.
* **Checked answers.** An answer must be a finite float array of shape ``[batch, width]``.

A miner whose model fails to load (hash mismatch, unreadable or corrupt file, startup timeout)
stays failed for the pool's life; one that times out, crashes or answers badly is reported for
that request only. Each failure is a :class:`MinerFailure` ``(uid, kind, message)`` returned in
place of an answer, never an exception. The pool is not thread-safe: use it from one thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import multiprocessing
import multiprocessing.context
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt

from taocore._checks import U16_MAX, integer, number

__all__ = ["FailureKind", "MinerFailure", "MinerPool", "MinerSpec", "QueryResult"]

log = logging.getLogger(__name__)

FailureKind = Literal[
    "hash_mismatch",  # the file's SHA-256 is not the registered one; the model is not loaded
    "load_error",  # unreadable file, not a valid ONNX model, external data, or died loading
    "startup_timeout",  # the worker did not report ready within startup_timeout
    "timeout",  # no answer within timeout; the worker was killed and restarted
    "crash",  # the worker died during a request; it was restarted
    "bad_output",  # wrong shape or dtype, NaN or infinity
    "inference_error",  # onnxruntime raised (e.g. out of memory under the cap)
]

_MESSAGE_LIMIT = 400
# RLIMIT_AS is enforced on Linux; macOS refuses or ignores it, so there the default is no cap.
DEFAULT_MEMORY_LIMIT: int | None = 2 << 30 if sys.platform.startswith("linux") else None


@dataclass(frozen=True)
class MinerSpec:
    """A miner as registered: its uid, the model file it serves, and the registered SHA-256."""

    uid: int
    path: Path
    sha256: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "uid", integer("uid", self.uid, hi=U16_MAX))
        digest = self.sha256.lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"sha256 must be 64 hex digits, got {self.sha256!r}")
        object.__setattr__(self, "sha256", digest)
        object.__setattr__(self, "path", Path(self.path))


@dataclass(frozen=True)
class MinerFailure:
    """Why miner ``uid`` gave no answer: a :data:`FailureKind` and a short message."""

    uid: int
    kind: FailureKind
    message: str


Answer = npt.NDArray[np.float32]
QueryResult = tuple[Answer | None, MinerFailure | None]
"""``(answer, None)`` on success, ``(None, failure)`` otherwise."""


def _short(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


def _check_answer(answer: Any, batch: int, width: int) -> str | None:
    """What is wrong with an answer, or None when it is ``[batch, width]``, real and finite."""
    if not isinstance(answer, np.ndarray):
        return f"answer is a {type(answer).__name__}, not an array"
    if answer.dtype.kind not in "fiu":
        return f"answer has dtype {answer.dtype}, expected a real number type"
    if answer.shape != (batch, width):
        return f"answer has shape {answer.shape}, expected {(batch, width)}"
    if answer.dtype.kind == "f" and not np.isfinite(answer).all():
        return "answer contains NaN or infinity"
    return None


def _external_data(model_bytes: bytes) -> str | None:
    """The first tensor that points to an external data file, or None (needs onnx)."""
    import onnx

    model = onnx.ModelProto.FromString(model_bytes)
    graphs = [model.graph]
    while graphs:
        graph = graphs.pop()
        tensors = list(graph.initializer)
        for node in graph.node:
            for attr in node.attribute:
                if attr.HasField("t"):
                    tensors.append(attr.t)
                tensors.extend(attr.tensors)
                if attr.HasField("g"):
                    graphs.append(attr.g)
                graphs.extend(attr.graphs)
        for tensor in tensors:
            if tensor.data_location == onnx.TensorProto.EXTERNAL or tensor.external_data:
                return tensor.name or "<unnamed>"
    return None


def _cap_memory(limit: int) -> None:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _worker_main(conn: Connection, path: str, sha256: str, memory_limit: int | None,
                 width: int) -> None:
    """A miner's worker process: verify and load the model, then answer requests until told to
    stop or the pipe closes. Messages: ``("ready",)``, ``("load_failed", kind, message)``,
    ``("ok", answer)``, ``("error", kind, message)``."""
    try:
        if memory_limit is not None:
            try:
                _cap_memory(memory_limit)
            except (ValueError, OSError) as exc:  # a platform that refuses the limit
                conn.send(("load_failed", "load_error", f"cannot cap memory: {exc}"))
                return
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            conn.send(("load_failed", "load_error", f"cannot read the model file: {exc.strerror}"))
            return
        digest = hashlib.sha256(data).hexdigest()
        if not hmac.compare_digest(digest, sha256):
            conn.send(("load_failed", "hash_mismatch",
                       f"file SHA-256 {digest} does not match the registered {sha256}"))
            return
        try:
            external = _external_data(data)
            if external is not None:
                conn.send(("load_failed", "load_error",
                           f"tensor {external!r} uses external data, which the hash does not "
                           "cover"))
                return
            import onnxruntime as ort  # type: ignore[import-untyped]

            ort.set_default_logger_severity(4)  # a miner's model errors are reported, not logged
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.log_severity_level = 4
            session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
            inputs = session.get_inputs()
            outputs = [o.name for o in session.get_outputs()]
            if len(inputs) != 1:
                raise ValueError(f"the model has {len(inputs)} inputs, expected 1")
            output = "probabilities" if "probabilities" in outputs else outputs[0]
        except Exception as exc:
            conn.send(("load_failed", "load_error", _short(f"{type(exc).__name__}: {exc}")))
            return
        del data
        conn.send(("ready",))
        input_name = inputs[0].name
        while True:
            message = conn.recv()
            if message[0] != "infer":
                return
            batch = message[1]
            try:
                answer = np.asarray(session.run([output], {input_name: batch})[0])
            except Exception as exc:
                conn.send(("error", "inference_error", _short(f"{type(exc).__name__}: {exc}")))
                continue
            problem = _check_answer(answer, len(batch), width)
            if problem is None:
                conn.send(("ok", np.ascontiguousarray(answer, dtype=np.float32)))
            else:
                conn.send(("error", "bad_output", problem))
    except (EOFError, OSError, KeyboardInterrupt):
        return


class _Worker:
    """The pool's handle on one miner's worker process."""

    def __init__(self, spec: MinerSpec) -> None:
        self.spec = spec
        self.process: Any = None  # multiprocessing's Process of the chosen context
        self.conn: Connection | None = None
        self.ready = False
        self.failed: MinerFailure | None = None  # a load failure: permanent
        self.restarts = 0

    def failure(self, kind: FailureKind, message: str) -> MinerFailure:
        return MinerFailure(self.spec.uid, kind, _short(message))

    def reap(self, grace: float = 0.0) -> int | None:
        """Stop the process (politely within ``grace`` seconds, then SIGKILL) and wait for it."""
        process, conn = self.process, self.conn
        self.process, self.conn, self.ready = None, None, False
        code: int | None = None
        try:
            if process is not None:
                if grace > 0 and process.is_alive():
                    process.join(grace)
                if process.is_alive():
                    process.kill()
                process.join(5.0)
                code = process.exitcode
                if process.exitcode is not None:
                    process.close()
        finally:
            if conn is not None:
                conn.close()
        return code


class MinerPool:
    """Worker processes serving the miners' ONNX models; see the module docstring.

    ``miners`` are :class:`MinerSpec` objects (or ``{uid: (path, sha256)}``). ``timeout`` is
    the per-request limit in seconds, ``startup_timeout`` the limit for a worker to verify and
    load its model, ``memory_limit`` the worker's address-space cap in bytes (None for none),
    ``width`` the expected answer width (10 class probabilities). The default memory cap is 2 GiB
on Linux and none elsewhere; a cap the platform refuses makes every model fail to load
(``load_error``) rather than run uncapped. Use as a context manager, or
    call :meth:`start` and :meth:`close`.
    """

    def __init__(
        self,
        miners: Iterable[MinerSpec] | Mapping[int, tuple[str | os.PathLike[str], str]],
        *,
        timeout: float = 10.0,
        startup_timeout: float = 60.0,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
        width: int = 10,
        start_method: str | None = None,
    ) -> None:
        if isinstance(miners, Mapping):
            specs = [MinerSpec(uid, Path(p), h) for uid, (p, h) in miners.items()]
        else:
            specs = list(miners)
        uids = [s.uid for s in specs]
        if len(set(uids)) != len(uids):
            raise ValueError("miners has duplicate uids")
        timeout = number("timeout", timeout, positive=True)
        startup_timeout = number("startup_timeout", startup_timeout, positive=True)
        if memory_limit is not None:  # bytes, at least 64 MiB
            memory_limit = integer("memory_limit", memory_limit, lo=64 << 20, hi=None)
        width = integer("width", width, lo=1)
        methods = multiprocessing.get_all_start_methods()
        if start_method is None:
            start_method = "forkserver" if "forkserver" in methods else "spawn"
        if start_method not in ("forkserver", "spawn") or start_method not in methods:
            raise ValueError(f"start_method must be 'forkserver' or 'spawn' (available here: "
                             f"{methods}), got {start_method!r}")
        self._ctx = cast(multiprocessing.context.SpawnContext,
                         multiprocessing.get_context(start_method))
        if start_method == "forkserver":
            # Workers fork from a server that has already imported onnxruntime, so a restart
            # costs a fork and a model load, not an interpreter start. (Effective only if this
            # process has not started its forkserver yet.)
            self._ctx.set_forkserver_preload(["numpy", "onnxruntime", "onnx", __name__])
        self.timeout = float(timeout)
        self.startup_timeout = float(startup_timeout)
        self.memory_limit = memory_limit
        self.width = width
        self._workers = {s.uid: _Worker(s) for s in specs}
        self._started = False
        self._closed = False

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def uids(self) -> list[int]:
        """The miners' uids, in the order given."""
        return list(self._workers)

    def start(self) -> None:
        """Start every worker and wait (concurrently) for each to load its model or fail."""
        if self._closed:
            raise RuntimeError("the pool is closed")
        if self._started:
            return
        self._started = True
        for worker in self._workers.values():
            self._spawn(worker)
        self._await_ready(list(self._workers.values()))

    def close(self) -> None:
        """Stop every worker and wait for it; safe to call more than once."""
        self._closed = True
        workers = list(self._workers.values())
        for worker in workers:
            if worker.conn is not None:
                with contextlib.suppress(OSError):
                    worker.conn.send(("close",))
        deadline = time.monotonic() + 2.0
        for worker in workers:
            try:
                worker.reap(grace=max(0.0, deadline - time.monotonic()))
            except Exception:  # keep reaping the others
                log.exception("miner %d: reaping its worker failed", worker.spec.uid)

    def __enter__(self) -> MinerPool:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "started" if self._started else "new"
        return f"MinerPool({len(self._workers)} miners, {state})"

    def pids(self) -> dict[int, int | None]:
        """Each miner's current worker process id (None when it has none)."""
        return {uid: (w.process.pid if w.process is not None else None)
                for uid, w in self._workers.items()}

    def load_failures(self) -> dict[int, MinerFailure]:
        """The miners whose models could not be loaded, with the reason."""
        return {uid: w.failed for uid, w in self._workers.items() if w.failed is not None}

    def restarts(self) -> dict[int, int]:
        """How many times each miner's worker was replaced after a timeout or crash."""
        return {uid: w.restarts for uid, w in self._workers.items()}

    def _spawn(self, worker: _Worker) -> None:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=_worker_main,
            args=(child, str(worker.spec.path), worker.spec.sha256, self.memory_limit, self.width),
            name=f"taocore-miner-{worker.spec.uid}",
            daemon=True,
        )
        try:
            process.start()
        finally:
            child.close()
        worker.process, worker.conn, worker.ready = process, parent, False

    def _restart(self, worker: _Worker) -> None:
        worker.reap()
        worker.restarts += 1
        self._spawn(worker)

    def _await_ready(self, workers: Sequence[_Worker]) -> None:
        pending = {w.conn: w for w in workers
                   if w.failed is None and not w.ready and w.conn is not None}
        deadline = time.monotonic() + self.startup_timeout
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            for conn in wait(list(pending), remaining):
                worker = pending.pop(cast(Connection, conn))
                try:
                    message = worker.conn.recv() if worker.conn is not None else None
                except (EOFError, OSError):
                    message = None
                if message is not None and message[0] == "ready":
                    worker.ready = True
                    continue
                if message is not None and message[0] == "load_failed":
                    worker.failed = worker.failure(message[1], message[2])
                    worker.reap(grace=1.0)
                else:
                    code = worker.reap()
                    worker.failed = worker.failure(
                        "load_error", f"the worker died while loading the model (exit code {code})")
                log.warning("miner %d not loaded: %s: %s", worker.spec.uid, worker.failed.kind,
                            worker.failed.message)
        for worker in pending.values():
            worker.reap()
            worker.failed = worker.failure(
                "startup_timeout", f"no ready report within {self.startup_timeout:g} s")
            log.warning("miner %d not loaded: startup timeout", worker.spec.uid)

    # --- queries -----------------------------------------------------------------------------

    def query(self, uid: int, inputs: npt.ArrayLike) -> QueryResult:
        """Ask miner ``uid`` for answers to ``inputs`` (``[batch, features]``, sent as float32).

        Returns ``(answer, None)`` with a ``[batch, width]`` float32 answer, or ``(None,
        failure)``. Raises ValueError only for bad arguments (unknown uid, inputs not 2-D).
        """
        return self.query_many([uid], inputs)[0]

    def query_many(self, uids: Sequence[int], inputs: npt.ArrayLike) -> list[QueryResult]:
        """Send the same ``inputs`` to every miner in ``uids`` at once and collect the answers
        (in ``uids`` order) within one ``timeout``; see :meth:`query`."""
        if not self._started:
            raise RuntimeError("start the pool first (or use it as a context manager)")
        if self._closed:
            raise RuntimeError("the pool is closed")
        batch = np.ascontiguousarray(inputs, dtype=np.float32)
        if batch.ndim != 2 or batch.shape[0] == 0:
            raise ValueError(f"inputs must be a non-empty 2-D array, got shape {batch.shape}")
        uid_list = [int(u) for u in uids]
        if len(set(uid_list)) != len(uid_list):
            raise ValueError("uids must not repeat")
        unknown = [u for u in uid_list if u not in self._workers]
        if unknown:
            raise ValueError(f"uids not in the pool: {unknown}")
        workers = [self._workers[u] for u in uid_list]
        self._await_ready(workers)

        results: dict[int, QueryResult] = {}
        pending: dict[Connection, _Worker] = {}
        for worker in workers:
            if worker.failed is not None:
                results[worker.spec.uid] = (None, worker.failed)
                continue
            assert worker.conn is not None
            try:
                worker.conn.send(("infer", batch))
            except OSError:
                results[worker.spec.uid] = (None, self._crashed(worker))
                continue
            pending[worker.conn] = worker
        deadline = time.monotonic() + self.timeout
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            for conn in wait(list(pending), remaining):
                worker = pending.pop(cast(Connection, conn))
                results[worker.spec.uid] = self._receive(worker, batch.shape[0])
        for worker in pending.values():
            failure = worker.failure("timeout", f"no answer within {self.timeout:g} s")
            log.warning("miner %d: request timed out; restarting its worker", worker.spec.uid)
            self._restart(worker)
            results[worker.spec.uid] = (None, failure)
        return [results[u] for u in uid_list]

    def _crashed(self, worker: _Worker) -> MinerFailure:
        code = worker.reap()
        failure = worker.failure("crash", f"the worker died during the request (exit code {code})")
        log.warning("miner %d: %s; restarting its worker", worker.spec.uid, failure.message)
        worker.restarts += 1
        self._spawn(worker)
        return failure

    def _receive(self, worker: _Worker, batch: int) -> QueryResult:
        assert worker.conn is not None
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            return None, self._crashed(worker)
        if message[0] == "ok":
            answer = message[1]
            problem = _check_answer(answer, batch, self.width)
            if problem is None:
                return answer, None
            return None, worker.failure("bad_output", problem)
        if message[0] == "error":
            return None, worker.failure(message[1], message[2])
        return None, worker.failure("crash", f"unexpected message from the worker: {message[0]!r}")
