"""The transcription service: claim jobs, transcribe in the worker pool, store, repeat.

:meth:`Transcriber.run_once` is one iteration: claim as many due jobs as there are free
workers (committed claims with a lease), run them, store each outcome in its own short
transaction. :meth:`start` runs the same steps forever in a task it owns, keeping every
worker busy, renewing the leases of running jobs, and scanning for voicemail calls that
have no draft yet. :meth:`stop` stops claiming, waits a bounded time for running jobs,
cancels the rest and gives their jobs back, and shuts the pool down.

Outcomes: a transcript → job ``done``, draft ``transcribed``; its fields are read here, in
this process, with the extraction tables in force (:class:`~callcenter.transcribe.table_store.TableCache`:
an administrator's edit applies to the next voicemail, no restart). A bad recording (corrupt,
empty, path outside the spool) → ``failed`` at once. A missing recording, a crashed
worker or an unknown error → queued again with backoff, ``failed`` after
``max_attempts``. No usable model → ``unavailable`` (reported once in the log; every
draft says why); a Transcriber that has the model puts those jobs back in the queue
when it starts, and ``callcenter voicemail retry`` does so by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.config import Config
from callcenter.db.session import whole
from callcenter.live import LiveFeed
from callcenter.transcribe import drafts, jobs
from callcenter.transcribe.jobs import ClaimedJob
from callcenter.transcribe.pool import TranscriptionPool, WorkerCrashed
from callcenter.transcribe.table_store import TableCache
from callcenter.transcribe.tables import KeywordTable
from callcenter.transcribe.worker import JobResult

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]
NO_MODEL = "no Vosk model configured (set CALLCENTER_VOSK_MODEL or vosk_model)"
UNAVAILABLE_BATCH = 100  # jobs marked unavailable per claim when there is no model


def default_workers(config: Config) -> int:
    """``transcribe_workers`` when configured, else one per spare core (at most 4)."""
    if config.transcribe_workers is not None:
        return config.transcribe_workers
    return max(1, min(4, (os.cpu_count() or 2) - 1))


class Transcriber:
    def __init__(
        self,
        config: Config,
        sessions: async_sessionmaker[AsyncSession],
        feed: LiveFeed | None = None,
        *,
        pool: TranscriptionPool | None = None,
        workers: int | None = None,
        clock: Clock = drafts.utcnow,
        name: str | None = None,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        retry_delay: dt.timedelta = dt.timedelta(seconds=30),
        max_attempts: int = 5,
        poll_interval: float = 2.0,
        scan_interval: float = 60.0,
        model_recheck: float = 300.0,
        follow_feed: bool = True,
        model_optional: bool = False,
    ) -> None:
        self.model_path: Path | None = config.vosk_model
        # The demo runs without a model by design: its absence is news there, not an error.
        self.model_optional = model_optional
        self.spool_dir = config.spool_dir
        self.ignore_phones = tuple(config.hotline_numbers)
        self.sessions = sessions
        self.feed = feed
        self.workers = pool.workers if pool is not None else (workers or default_workers(config))
        self.pool = pool
        self._owns_pool = pool is None
        self.clock = clock
        self.name = name or jobs.instance_name()
        self.lease = lease
        self.retry_delay = retry_delay
        self.max_attempts = max_attempts
        self.poll_interval = poll_interval
        self.scan_interval = scan_interval
        self.follow_feed = follow_feed
        self.model_recheck = model_recheck
        self.unavailable: str | None = None  # why there is no usable model
        self.stats = {"claimed": 0, "transcribed": 0, "failed": 0, "retried": 0, "unavailable": 0, "lost": 0}
        # Seconds of audio transcribed, and the workers' wall and CPU time for it (metrics).
        self.work = {"audio_seconds": 0.0, "worker_seconds": 0.0, "worker_cpu_seconds": 0.0}
        self.tables = TableCache()
        self._prepared = False
        self._stopping = False
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Run the loop, the lease heartbeat and (with a feed) the follower of ended
        voicemail calls in tasks this object owns."""
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._main(), name="transcriber"),
            asyncio.create_task(self._heartbeat(), name="transcriber-leases"),
        ]
        if self.feed is not None and self.follow_feed:
            follower = drafts.follow(self.sessions, self.feed, spool_dir=self.spool_dir, clock=self.clock,
                                     on_draft=self.wake)  # fmt: skip
            self._tasks.append(asyncio.create_task(follower, name="transcriber-feed"))

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, wait up to ``timeout`` for running jobs, cancel and give back the
        rest, shut the pool down (if this object made it). No task is left behind."""
        main = self._tasks[:1]
        self._stopping = True
        self._wake.set()
        if main:  # let the loop finish its step (cancelling it inside a transaction is noisy)
            await asyncio.wait(main, timeout=min(timeout, 5.0))
        for task in main:
            task.cancel()
        await asyncio.gather(*main, return_exceptions=True)
        running = list(self._inflight.values())
        if running:
            await asyncio.wait(running, timeout=timeout)
        left = {job_id: task for job_id, task in self._inflight.items() if not task.done()}
        for task in left.values():
            task.cancel()
        await asyncio.gather(*left.values(), return_exceptions=True)
        for task in self._tasks[1:]:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if left:
            await whole(self._release(list(left)))
        if self.pool is not None and self._owns_pool:
            await self.pool.close(0.0 if left else timeout)  # nobody waits for a given-back job

    def metrics(self) -> dict[str, float | int | str]:
        """Counters for ``/metrics``: jobs by outcome, audio and worker seconds, crashes."""
        return {
            **{f"transcription_{k}": v for k, v in self.stats.items()},
            **{f"transcription_{k}": round(v, 3) for k, v in self.work.items()},
            "transcription_running": len(self._inflight),
            "transcription_worker_crashes": self.pool.crashes if self.pool is not None else 0,
            "transcription_unavailable_reason": self.unavailable or "",
        }

    def wake(self) -> None:
        """Look for new jobs now (e.g. right after :func:`drafts.on_call_logged`)."""
        self._wake.set()

    async def prepare(self) -> str | None:
        """Start the workers and check the model. None when it is usable, else the reason
        (logged once per reason). With a usable model, jobs left ``unavailable`` (by this
        or another instance) are queued again. Checked once; :meth:`_recheck` asks again."""
        if self._prepared:
            return self.unavailable
        if self.model_path is None:
            reason: str | None = NO_MODEL
        else:
            if self.pool is None:
                self.pool = TranscriptionPool(self.model_path, self.workers)
            reason = await self.pool.start()
        if reason is not None:
            self._report_unavailable(reason)
            if self.pool is not None and self._owns_pool:
                await self.pool.close()  # idle workers without a model help nobody
                self.pool = None
            self._prepared = True
            return reason
        draft_ids = await whole(self._requeue_unavailable())
        if self.unavailable is not None:
            log.info("transcription: the Vosk model %s is usable again", self.model_path)
        if draft_ids:
            log.info("transcription: %d voicemail(s) waiting for the model queued again", len(draft_ids))
        self.unavailable = None
        self._prepared = True
        return None

    async def _requeue_unavailable(self) -> list[int]:
        async with self.sessions() as session, session.begin():
            now = self.clock()
            draft_ids = await jobs.requeue(session, now, states=("unavailable",))
            await drafts.mark_transcribing(session, draft_ids, now)
        return draft_ids

    async def _recheck(self) -> None:
        """Without a usable model, try the configured one again (it may have been fixed)."""
        if self.unavailable is None or self.model_path is None or not self._owns_pool:
            return
        self._prepared = False
        try:
            await self.prepare()
        except Exception:
            log.exception("transcription: checking the Vosk model again failed")

    # -- one iteration -------------------------------------------------------------------
    async def run_once(self, now: dt.datetime) -> int:
        """Claim due jobs (as many as there are free workers), run them to the end; how many."""
        await self.prepare()
        claimed = await self._claim(now)
        await asyncio.gather(*(self._spawn(job) for job in claimed))
        return len(claimed)

    def _spawn(self, job: ClaimedJob) -> asyncio.Task[None]:
        """Run the job in a task of its own (its lease is renewed while it runs)."""
        task = asyncio.create_task(self._run(job), name=f"transcribe-{job.id}")
        self._inflight[job.id] = task
        task.add_done_callback(functools.partial(self._done, job.id))
        return task

    async def _claim(self, now: dt.datetime) -> list[ClaimedJob]:
        free = UNAVAILABLE_BATCH if self.unavailable else self.workers - len(self._inflight)
        work = asyncio.ensure_future(self._claim_in_transaction(now, free))
        try:
            claimed = await whole(work)
        except asyncio.CancelledError:  # stopped while claiming: give back what the claim took
            if not work.cancelled() and work.exception() is None and work.result():
                await whole(self._release([job.id for job in work.result()]))
            raise
        self.stats["claimed"] += len(claimed)
        return claimed

    async def _claim_in_transaction(self, now: dt.datetime, free: int) -> list[ClaimedJob]:
        async with self.sessions() as session, session.begin():
            ids = await jobs.claim(session, self.name, now, free, self.lease)
            return await jobs.claimed(session, ids)

    async def _run(self, job: ClaimedJob) -> None:
        try:
            await self._process(job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("transcription: job %d (call %s) failed", job.id, job.linkedid)
            with contextlib.suppress(Exception):
                await self._retry(job, f"internal error: {exc!r}")

    async def _process(self, job: ClaimedJob) -> None:
        if job.attempts > self.max_attempts:
            await self._finish(job, "failed", "failed", f"gave up after {job.attempts - 1} attempts; "
                               f"last error: {job.last_error or 'none recorded'}")  # fmt: skip
            return
        if self.unavailable is not None or self.pool is None:
            await self._finish(job, "unavailable", "unavailable", self.unavailable or NO_MODEL)
            return
        seen = await asyncio.to_thread(drafts.inspect_message, self.spool_dir, job.message_path)
        if seen.refused:
            await self._finish(job, "failed", "failed", seen.refused)
            return
        if not seen.audio:
            await self._retry(job, "the recording is not in the spool (yet)")
            return
        try:
            result = await self.pool.run(seen.audio)
        except WorkerCrashed as exc:
            await self._retry(job, str(exc))
            return
        await self._store(job, result)

    async def _store(self, job: ClaimedJob, result: JobResult) -> None:
        if result.model_error:
            self._report_unavailable(result.error or "the Vosk model is unusable")
            await self._finish(job, "unavailable", "unavailable", self.unavailable)
        elif result.error is not None and result.permanent:
            await self._finish(job, "failed", "failed", result.error)
        elif result.error is not None:
            await self._retry(job, result.error)
        else:
            await self._store_transcript(job, result)

    async def _with_fields(self, result: JobResult) -> tuple[JobResult, KeywordTable | None]:
        """The draft fields read from the transcript with the tables in force (cheap: ms)."""
        text = str((result.transcript or {}).get("text") or "")
        try:
            tables = await whole(self.tables.current(self.sessions))
            return replace(result, extracted=tables.extract(text, self.ignore_phones)), tables.keywords
        except Exception as exc:  # a broken table must not lose the transcript
            log.exception("transcription: reading the fields of the transcript failed")
            note = "; ".join(filter(None, [result.note, f"field extraction failed: {exc!r}"]))
            return replace(result, extracted=None, note=note), None

    async def _store_transcript(self, job: ClaimedJob, result: JobResult) -> None:
        model = self.model_path.name if self.model_path else None
        result, keywords = await self._with_fields(result)
        stored = await whole(drafts.store_transcript(self.sessions, job, self.name, self.clock(), result, model,
                                                     keywords=keywords))  # fmt: skip
        self._settled(job, stored, "transcribed", "transcribed", result.note)
        transcript = result.transcript or {}
        audio = float(transcript.get("duration_seconds") or 0.0)
        self.work["audio_seconds"] += audio
        self.work["worker_seconds"] += result.seconds
        self.work["worker_cpu_seconds"] += result.cpu_seconds
        log.info("transcription: call %s (case %s): %.1f s of audio in %.1f s, %d words", job.linkedid,
                 job.case_id, audio, result.seconds, len(transcript.get("words") or ()))  # fmt: skip

    async def _retry(self, job: ClaimedJob, error: str) -> None:
        if job.attempts >= self.max_attempts:
            await self._finish(job, "failed", "failed", f"{error} (gave up after {job.attempts} attempts)")
            return
        now = self.clock()
        retry_at = now + jobs.backoff(job.attempts, self.retry_delay)
        reason = f"attempt {job.attempts} failed: {error}; retrying"
        stored = await whole(drafts.store_outcome(self.sessions, job, self.name, now, job_state="queued",
                                                  status="transcribing", reason=reason, retry_at=retry_at))  # fmt: skip
        self._settled(job, stored, "retried", "transcribing", reason)
        log.warning("transcription: job %d (call %s): %s; next attempt at %s", job.id, job.linkedid, error,
                    retry_at.isoformat(timespec="seconds"))  # fmt: skip

    async def _finish(self, job: ClaimedJob, job_state: str, status: str, reason: str | None) -> None:
        stored = await whole(drafts.store_outcome(self.sessions, job, self.name, self.clock(),
                                                  job_state=job_state, status=status, reason=reason))  # fmt: skip
        self._settled(job, stored, job_state, status, reason)
        if job_state == "failed":
            log.warning("transcription: job %d (call %s, case %s) failed: %s", job.id, job.linkedid,
                        job.case_id, reason)  # fmt: skip

    def _settled(self, job: ClaimedJob, stored: bool, counter: str, status: str, reason: str | None) -> None:
        if not stored:
            self.stats["lost"] += 1
            log.warning("transcription: job %d (call %s): claim lost to another instance; result dropped",
                        job.id, job.linkedid)  # fmt: skip
            return
        self.stats[counter] += 1
        drafts.publish(self.feed, drafts.draft_message(
            case_id=job.case_id, call_id=job.call_id, linkedid=job.linkedid, caller_number=job.caller_number,
            status=status, reason=reason))  # fmt: skip

    def _report_unavailable(self, reason: str) -> None:
        if reason != self.unavailable:
            level = logging.INFO if self.model_optional and reason == NO_MODEL else logging.ERROR
            log.log(level, "transcription unavailable: %s; voicemail drafts are created without transcripts "
                    "until the model is fixed (checked again every %g s)", reason, self.model_recheck)  # fmt: skip
        self.unavailable = reason

    # -- the forever loop ----------------------------------------------------------------
    async def _main(self) -> None:
        while not await self._prepare_or_wait():
            if self._stopping:
                return
        next_scan, next_recheck = time.monotonic(), time.monotonic() + self.model_recheck
        while not self._stopping:
            self._wake.clear()  # before claiming: a job ending from here on wakes the wait below
            if time.monotonic() >= next_scan:
                await self._scan()
                next_scan = time.monotonic() + self.scan_interval
            if self.unavailable is not None and time.monotonic() >= next_recheck:
                await self._recheck()
                next_recheck = time.monotonic() + self.model_recheck
            started = await self._fill_slots()
            if not started or len(self._inflight) >= self.workers:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    async def _prepare_or_wait(self) -> bool:
        try:
            await self.prepare()
            return True
        except Exception:  # e.g. the database is not there yet
            log.exception("transcription: starting failed; trying again")
            await asyncio.sleep(max(self.poll_interval, 1.0))
            return False

    async def _fill_slots(self) -> int:
        try:
            claimed = await self._claim(self.clock())
        except Exception:  # the database is away: try again at the next poll
            log.exception("transcription: claiming jobs failed")
            return 0
        for job in claimed:
            self._spawn(job)
        return len(claimed)

    def _done(self, job_id: int, _task: asyncio.Task[None]) -> None:
        self._inflight.pop(job_id, None)
        self._wake.set()

    async def _scan(self) -> None:
        try:
            await whole(drafts.enqueue_missing(self.sessions, self.feed, spool_dir=self.spool_dir, clock=self.clock))
        except Exception:
            log.exception("transcription: scanning for voicemails without a draft failed")

    async def _heartbeat(self) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            if not self._inflight:
                continue
            try:
                await whole(self._renew(list(self._inflight)))
            except Exception:
                log.exception("transcription: renewing leases failed")

    async def _renew(self, ids: list[int]) -> None:
        async with self.sessions() as session, session.begin():
            await jobs.renew(session, ids, self.name, self.clock(), self.lease)

    async def _release(self, ids: list[int]) -> None:
        try:
            async with self.sessions() as session, session.begin():
                released = await jobs.release(session, ids, self.name, self.clock())
            log.info("transcription: %d unfinished job(s) given back to the queue", released)
        except Exception:
            log.exception("transcription: giving back jobs %s failed", ids)
