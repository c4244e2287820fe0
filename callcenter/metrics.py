"""The service's figures in the Prometheus text exposition format (version 0.0.4).

Two sources. The AMI listener's figures live in the memory of the process that runs the
listener (``service=`` a started ``CallLogService``): link up, messages received, calls
logged, reconnects, login failures, event-queue depth, the age of the last event and the
hangup→commit latency. The other figures are read from the shared database at each scrape,
so every process that serves ``/metrics`` reports the same values: overdue deadline clocks
and cases, and the transcription queue (``transcription_jobs``, looked up by name and
skipped while that table does not exist).

The exposition is written here rather than with ``prometheus-client``: a dozen families,
no global registry, no multiprocess mode (the database already is the shared state), and
one dependency fewer for a format that is four rules (HELP, TYPE, samples, escaping).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import distinct, func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

if TYPE_CHECKING:
    from callcenter.ami.cdrzone import ZoneCheck
    from callcenter.live.bridge import LiveBridge
    from callcenter.service import CallLogService

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0)
TRANSCRIPTION_WINDOW = timedelta(hours=1)
QUANTILES = (0.5, 0.9, 0.99)
DB_TIMEOUT = 5.0
Labels = tuple[tuple[str, str], ...]
HELP = {
    "callcenter_ami_connected": "1 while logged in to the PBX's AMI",
    "callcenter_ami_events_total": "AMI messages received from the PBX",
    "callcenter_ami_reconnects_total": "AMI reconnects scheduled",
    "callcenter_ami_login_failures_total": "AMI logins refused by the PBX",
    "callcenter_ami_malformed_total": "AMI events skipped as malformed",
    "callcenter_calls_logged_total": "Calls ended and committed to the call log",
    "callcenter_recorder_errors_total": "Recorder errors (each logged; the work is retried)",
    "callcenter_event_queue_depth": "AMI messages waiting to be processed",
    "callcenter_reconcile_total": "Reconciliation outcomes since start, by kind",
    "callcenter_ami_last_event_age_seconds": "Seconds since the last AMI message",
    "callcenter_hangup_commit_latency_seconds": "From a call's hangup event to its committed row",
    "callcenter_transcription_jobs": "Transcription jobs by state",
    "callcenter_transcription_queue_depth": "Transcription jobs queued or running",
    "callcenter_transcription_oldest_queued_seconds": "Age of the oldest queued transcription job",
    "callcenter_transcription_latency_seconds": "Job queued to transcript stored, jobs finished in the last hour",
    "callcenter_transcription_finished_last_hour": "Transcription jobs finished in the last hour",
    "callcenter_live_bridge_messages_total": "Live-feed messages through the database: written, received, lost",
    "callcenter_live_bridge_errors_total": "Failed reads/writes of live_events (each retried)",
    "callcenter_cdr_timezone_mismatch": "1 while the PBX's clocks contradict CALLCENTER_CDR_TIMEZONE",
    "callcenter_cdr_utc_offset_seconds": "UTC offset of the CDR times: configured, and observed from the PBX's clocks",
}


@dataclass
class Family:
    """One metric: its samples are (suffix, labels, value), e.g. ("_bucket", (("le", "1"),), 3)."""

    name: str
    kind: str  # counter | gauge | histogram
    help: str
    samples: list[tuple[str, Labels, float]] = field(default_factory=list)

    def add(self, value: float, labels: Labels = (), suffix: str = "") -> Family:
        self.samples.append((suffix, labels, value))
        return self


def gauge(name: str, help_: str, value: float | None) -> list[Family]:
    return [] if value is None else [Family(name, "gauge", help_).add(value)]


# -- the text format ---------------------------------------------------------------------------


def _escape(value: str, *, quote: bool) -> str:
    value = value.replace("\\", "\\\\").replace("\n", "\\n")
    return value.replace('"', '\\"') if quote else value


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def render(families: Iterable[Family]) -> str:
    """The exposition of ``families``: HELP, TYPE and samples of each, a newline at the end."""
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {_escape(family.help, quote=False)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for suffix, labels, value in family.samples:
            inner = ",".join(f'{key}="{_escape(val, quote=True)}"' for key, val in labels)
            lines.append(f"{family.name}{suffix}{'{' + inner + '}' if inner else ''} {format_value(value)}")
    return "\n".join(lines) + "\n"


class Histogram:
    """A cumulative histogram fed from an append-only list (the recorder's ``latencies``)."""

    def __init__(self, buckets: Sequence[float] = LATENCY_BUCKETS) -> None:
        self.bounds = tuple(buckets)
        self.reset()

    def reset(self) -> None:
        self.counts = [0] * (len(self.bounds) + 1)  # the last one is +Inf
        self.total = 0.0
        self._seen = 0

    def observe(self, value: float) -> None:
        index = next((i for i, bound in enumerate(self.bounds) if value <= bound), len(self.bounds))
        self.counts[index] += 1
        self.total += value

    def catch_up(self, values: Sequence[float]) -> None:
        """Observe what was appended to ``values`` since the last call."""
        if len(values) < self._seen:  # the list was replaced: start over rather than lie
            self.reset()
        for value in values[self._seen :]:
            self.observe(value)
        self._seen = len(values)

    def family(self, name: str, help_: str) -> Family:
        result, running = Family(name, "histogram", help_), 0
        for bound, count in zip((*self.bounds, math.inf), self.counts, strict=True):
            running += count
            result.add(running, (("le", format_value(bound)),), "_bucket")
        result.add(self.total, suffix="_sum").add(running, suffix="_count")
        return result


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile of an ascending, non-empty sequence."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def cdr_zone_families(zone: ZoneCheck) -> list[Family]:
    """The CDR zone check: the mismatch flag, and the offsets once the PBX's clocks were seen."""
    observed = zone.observed
    mismatch = zone.mismatch
    flag = "callcenter_cdr_timezone_mismatch"
    offsets = Family("callcenter_cdr_utc_offset_seconds", "gauge", HELP["callcenter_cdr_utc_offset_seconds"])
    if observed is None:
        return [Family(flag, "gauge", HELP[flag]).add(0)]
    configured = mismatch[1] if mismatch else observed
    offsets.add(configured, (("source", "configured"),)).add(observed, (("source", "observed"),))
    return [Family(flag, "gauge", HELP[flag]).add(int(mismatch is not None)), offsets]


# -- the registry ------------------------------------------------------------------------------


class ServiceMetrics:
    """Collects the figures of this process (``service``, if it runs the listener) and the database's."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        service: CallLogService | None = None,
        bridge: LiveBridge | None = None,
        clock: Callable[[], float] = time.time,
        db_timeout: float = DB_TIMEOUT,
    ) -> None:
        self.sessions = sessions
        self.service = service
        self.bridge = bridge
        self.clock = clock
        self.db_timeout = db_timeout
        self.latency = Histogram()
        self.started_at = clock()
        self.last_event_at: float | None = None
        if service is not None and not hasattr(service.link, "last_event_at"):
            # Until AmiLink stamps its last message itself: one more synchronous panoramisk
            # callback, which only stores a float (it cannot raise).
            service.link.manager.register_event("*", self._stamp)

    def _stamp(self, _manager: Any, _message: Any) -> None:
        self.last_event_at = self.clock()

    # -- this process ---------------------------------------------------------------------
    @property
    def runs_listener(self) -> bool:
        return self.service is not None

    def ami_connected(self) -> bool | None:
        return None if self.service is None else self.service.link.ready.is_set()

    def last_event_age(self) -> float | None:
        """Seconds since the PBX last sent anything; None before the first message or without a listener."""
        if self.service is None:
            return None
        stamp = getattr(self.service.link, "last_event_at", None) or self.last_event_at
        return None if stamp is None else max(0.0, self.clock() - stamp)

    def listener_families(self) -> list[Family]:
        if self.service is None:
            return []
        link, recorder = self.service.link, self.service.recorder
        self.latency.catch_up(recorder.latencies)
        reconcile = Family("callcenter_reconcile_total", "counter", HELP["callcenter_reconcile_total"])
        for kind, value in sorted(self.service.reconciler.stats.items()):
            reconcile.add(value, (("kind", kind),))
        values = {
            "callcenter_ami_connected": int(link.ready.is_set()),
            "callcenter_ami_events_total": link.received,
            "callcenter_ami_reconnects_total": link.reconnects,
            "callcenter_ami_login_failures_total": link.login_failures,
            "callcenter_ami_malformed_total": recorder.counters["malformed"],
            "callcenter_calls_logged_total": recorder.counters["calls_logged"],
            "callcenter_recorder_errors_total": recorder.counters["errors"],
            "callcenter_event_queue_depth": link.queue.qsize(),
        }
        families = [
            Family(name, "counter" if name.endswith("_total") else "gauge", HELP[name]).add(value)
            for name, value in values.items()
        ]
        age = "callcenter_ami_last_event_age_seconds"
        latency = "callcenter_hangup_commit_latency_seconds"
        return [*families, reconcile, *gauge(age, HELP[age], self.last_event_age()),
                self.latency.family(latency, HELP[latency]), *cdr_zone_families(self.service.reconciler.zone)]  # fmt: skip

    # -- the database ---------------------------------------------------------------------
    async def db_reachable(self) -> bool:
        try:
            async with self.sessions() as session:
                await asyncio.wait_for(session.execute(text("SELECT 1")), self.db_timeout)
            return True
        except Exception as exc:  # noqa: BLE001 - unreachable is the answer, not an error
            log.warning("metrics: database not reachable: %s", exc)
            return False

    async def database_families(self) -> list[Family]:
        try:
            return await asyncio.wait_for(self._database_families(), self.db_timeout)
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail because the database did
            log.warning("metrics: database figures unavailable: %s", exc)
            return [Family("callcenter_db_up", "gauge", "1 if the database answered this scrape").add(0)]

    async def _database_families(self) -> list[Family]:
        now = datetime.fromtimestamp(self.clock(), tz=timezone.utc)
        async with self.sessions() as session:
            tables = set(await session.run_sync(lambda s: inspect(s.connection()).get_table_names()))
            families = [Family("callcenter_db_up", "gauge", "1 if the database answered this scrape").add(1)]
            if "case_deadlines" in tables:
                families += await _overdue(session, now)
            if "transcription_jobs" in tables:
                families += await _transcription(session, now)
        return families

    async def collect(self) -> list[Family]:
        families = [
            Family("callcenter_up", "gauge", "1: this process serves metrics").add(1),
            Family("callcenter_start_time_seconds", "gauge", "Start of this process (Unix time)").add(self.started_at),
        ]
        return families + self.listener_families() + self.bridge_families() + await self.database_families()

    def bridge_families(self) -> list[Family]:
        """The live bridge's counters, if this process runs one (``bridge=``)."""
        if self.bridge is None:
            return []
        stats, name = self.bridge.stats(), "callcenter_live_bridge_messages_total"
        messages = Family(name, "counter", HELP[name])
        for kind in ("written", "received", "lost"):
            messages.add(stats[kind], (("kind", kind),))
        errors = "callcenter_live_bridge_errors_total"
        return [messages, Family(errors, "counter", HELP[errors]).add(stats["errors"])]

    async def exposition(self) -> str:
        return render(await self.collect())


async def _overdue(session: AsyncSession, now: datetime) -> list[Family]:
    from callcenter.tickets.models import CaseDeadline as D

    overdue = (D.state == "open", D.due_at < now)
    clocks = await session.scalar(select(func.count()).select_from(D).where(*overdue))
    cases = await session.scalar(select(func.count(distinct(D.case_id))).where(*overdue))
    return [
        Family("callcenter_overdue_deadlines", "gauge", "Running deadline clocks past their due time").add(clocks or 0),
        Family("callcenter_overdue_cases", "gauge", "Cases with at least one running clock past due").add(cases or 0),
    ]


async def _transcription(session: AsyncSession, now: datetime) -> list[Family]:
    """Queue depth and latency; the model is imported here, so a missing module only skips this."""
    try:
        from callcenter.transcribe.models import TranscriptionJob as J
    except ImportError:
        return []
    by_state = dict((await session.execute(select(J.state, func.count()).group_by(J.state))).all())
    oldest = await session.scalar(select(func.min(J.created_at)).where(J.state == "queued"))
    recent = (J.state == "done", J.finished_at >= now - TRANSCRIPTION_WINDOW)
    finished = (await session.execute(select(J.created_at, J.finished_at).where(*recent))).all()
    jobs = Family("callcenter_transcription_jobs", "gauge", HELP["callcenter_transcription_jobs"])
    for state, count in sorted(by_state.items()):
        jobs.add(count, (("state", str(state)),))
    depth = Family("callcenter_transcription_queue_depth", "gauge", HELP["callcenter_transcription_queue_depth"])
    depth.add(by_state.get("queued", 0) + by_state.get("running", 0))
    oldest_age = None if oldest is None else max(0.0, (now - oldest).total_seconds())
    age = "callcenter_transcription_oldest_queued_seconds"
    durations = sorted((done - created).total_seconds() for created, done in finished if done and created)
    name = "callcenter_transcription_latency_seconds"
    latency = Family(name, "gauge", HELP[name])
    for q in QUANTILES if durations else ():
        latency.add(quantile(durations, q), (("quantile", format_value(q)),))
    name = "callcenter_transcription_finished_last_hour"
    finished_jobs = Family(name, "gauge", HELP[name]).add(len(durations))
    return [jobs, depth, *gauge(age, HELP[age], oldest_age), latency, finished_jobs]
