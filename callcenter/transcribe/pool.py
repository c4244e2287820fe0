"""The transcription process pool: workers that load the Vosk model once, seen from asyncio.

A ``ProcessPoolExecutor`` with the ``spawn`` start method (never ``fork``: the parent holds
an event loop, database connections and numpy's BLAS threads) whose initializer loads the
model (:func:`callcenter.transcribe.worker.init_worker`). Each job gets its own recogniser
in whatever worker is free. Nothing here blocks the event loop: submitting (which may
start processes) and shutting down run in a thread.

A worker that dies (killed, out of memory, Kaldi aborting) breaks the executor: every job
then in flight raises :class:`WorkerCrashed` (not permanent: the job runner retries) and
the executor is replaced by a fresh one; its workers load the model again.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from callcenter.transcribe import worker

log = logging.getLogger(__name__)

START_TIMEOUT = 300.0  # seconds for the workers to load the model (a large model takes a minute)


class WorkerCrashed(Exception):
    """The worker process died while it had the job; another attempt may succeed."""

    permanent = False


class TranscriptionPool:
    """``workers`` processes, each holding the model at ``model_path``."""

    def __init__(
        self,
        model_path: Path | str,
        workers: int = 1,
        *,
        context: str = "spawn",
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        if workers < 1:
            raise ValueError("a transcription pool needs at least one worker")
        self.model_path = Path(model_path)
        self.workers = workers
        self.start_timeout = start_timeout
        self._context = multiprocessing.get_context(context)
        self._executor: ProcessPoolExecutor | None = None
        self._generation = 0
        self._lock = threading.Lock()
        self._checked: str | None = None  # "" = the model loaded; else why not
        self.crashes = 0

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> str | None:
        """Start every worker and wait until each has tried to load the model.

        Returns None when the model is loaded, else the reason it is unusable. The first
        answer is kept: calling again costs nothing."""
        if self._checked is None:
            self._checked = await self._warm_up() or ""
        return self._checked or None

    async def _warm_up(self) -> str | None:
        """Probe until every worker has answered (a loaded worker answers the probes while
        the others still load, so ask again until each process has been heard from)."""
        generation = self._generation
        seen: set[int] = set()
        try:
            async with asyncio.timeout(self.start_timeout):
                while len(seen) < self.workers:
                    submitted = [await self._submit(worker.probe) for _ in range(self.workers)]
                    generation = submitted[-1][1]
                    probes: list[worker.Probe] = await asyncio.gather(*(f for f, _ in submitted))
                    errors = [p.error for p in probes if p.error]
                    if errors:
                        return errors[0]
                    seen.update(p.pid for p in probes)
                    if len(seen) < self.workers:
                        await asyncio.sleep(0.05)
        except TimeoutError:
            return f"the Vosk model {self.model_path} did not load within {self.start_timeout:g} s"
        except BrokenProcessPool:
            self._replace(generation)
            return f"the transcription workers died while loading the Vosk model {self.model_path}"
        log.info("transcription: %d worker(s) loaded the Vosk model %s", self.workers, self.model_path)
        return None

    async def close(self, timeout: float = 10.0) -> None:
        """Cancel queued jobs, wait up to ``timeout`` for running ones, then kill the workers."""
        with self._lock:
            executor, self._executor = self._executor, None
            self._generation += 1
        if executor is None:
            return
        shutdown = asyncio.ensure_future(asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True))
        done, _ = await asyncio.wait({shutdown}, timeout=timeout)
        if not done:
            log.warning("transcription: workers still busy after %g s; terminating them", timeout)
            _terminate(executor)
            await asyncio.wait({shutdown}, timeout=10.0)

    # -- jobs ----------------------------------------------------------------------------
    async def run(self, candidates: list[Path]) -> worker.JobResult:
        """Transcribe the first decodable recording of ``candidates`` in a worker."""
        args = ([str(p) for p in candidates],)
        try:
            future, generation = await self._submit(worker.run_job, *args)
        except BrokenProcessPool:  # broken by an earlier crash: the retry gets a fresh executor
            try:
                future, generation = await self._submit(worker.run_job, *args)
            except BrokenProcessPool:
                raise WorkerCrashed("cannot start transcription worker processes") from None
        try:
            result: worker.JobResult = await future
        except BrokenProcessPool:
            self.crashes += 1
            self._replace(generation)
            raise WorkerCrashed("the transcription worker process died during the job") from None
        return result

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for metrics and tests)."""
        executor = self._executor
        processes: dict[int, Any] = getattr(executor, "_processes", None) or {}
        return [p.pid for p in list(processes.values()) if p.is_alive()]

    # -- internals -----------------------------------------------------------------------
    async def _submit(self, fn: Any, *args: Any) -> tuple[asyncio.Future[Any], int]:
        """Submit from a thread (starting workers takes a while): an asyncio future and
        the generation of the executor that runs it."""

        def submit() -> tuple[Future[Any], int]:
            executor, generation = self._ensure()
            try:
                return executor.submit(fn, *args), generation
            except BrokenProcessPool:
                self._replace(generation)
                raise

        future, generation = await asyncio.to_thread(submit)
        return asyncio.wrap_future(future), generation

    def _ensure(self) -> tuple[ProcessPoolExecutor, int]:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=self._context,
                    initializer=worker.init_worker,
                    initargs=(str(self.model_path),),
                )
            return self._executor, self._generation

    def _replace(self, generation: int) -> None:
        """Drop a broken executor once (several jobs see the same crash); the next job
        starts a fresh one."""
        with self._lock:
            if generation != self._generation or self._executor is None:
                return
            executor, self._executor = self._executor, None
            self._generation += 1
        log.warning("transcription: a worker process died; starting new workers")
        executor.shutdown(wait=False, cancel_futures=True)


def _terminate(executor: ProcessPoolExecutor) -> None:
    processes: dict[int, Any] = getattr(executor, "_processes", None) or {}
    for process in list(processes.values()):
        if process.is_alive():
            process.kill()
