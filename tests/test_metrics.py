"""Metrics (Prometheus text) and the /healthz and /metrics endpoints, on a real service and database."""

from __future__ import annotations

import asyncio
import math
import re
import socket
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.ami.replay import ReplayServer
from callcenter.config import ConfigError, load_config
from callcenter.db.migrate import upgrade
from callcenter.db.session import create_engine, session_factory
from callcenter.live import LiveFeed
from callcenter.metrics import Family, Histogram, ServiceMetrics, format_value, quantile, render
from callcenter.service import CallLogService
from callcenter.tickets.models import Case, CaseDeadline
from callcenter.web.app import create_app
from callcenter.web.ops import create_ops_app, ops_address, start_ops
from tests.ami.harness import service_config, settle
from tests.tickets.helpers import add_call
from tests.web.conftest import web_settings
from tests.keys import AUDIT_KEYS

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$')


def parse(text: str) -> dict[str, float]:
    """A strict reader of the text format: every line is HELP, TYPE or a sample; samples by their full text."""
    assert text.endswith("\n")
    samples: dict[str, float] = {}
    types: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram") and name not in types
            types[name] = kind
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name = match.group(1)
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, f"sample without TYPE: {line!r}"
        samples[line.rsplit(" ", 1)[0]] = float(match.group(4).replace("+Inf", "inf"))
    return samples


@pytest.fixture
async def sessions(migrated: str) -> AsyncIterator[Sessions]:
    engine = create_engine(migrated)
    try:
        yield session_factory(engine, AUDIT_KEYS)
    finally:
        await engine.dispose()


def clock_at(moment: datetime) -> Any:
    return lambda: moment.timestamp()


# -- the text format ---------------------------------------------------------------------------


def test_render_escapes_and_formats() -> None:
    family = Family("x_total", "counter", 'help with \\ and\nnewline "quoted"')
    family.add(3, (("kind", 'a"b\\c\nd'),)).add(0.25, (("kind", "王"),))
    text = render([family, Family("y", "gauge", "y").add(float("nan"))])
    assert text == (
        '# HELP x_total help with \\\\ and\\nnewline "quoted"\n# TYPE x_total counter\n'
        'x_total{kind="a\\"b\\\\c\\nd"} 3\nx_total{kind="王"} 0.25\n# HELP y y\n# TYPE y gauge\ny NaN\n'
    )
    assert [format_value(v) for v in (1.0, 2.5, math.inf, -math.inf, 1e20)] == ["1", "2.5", "+Inf", "-Inf", "1e+20"]


def test_histogram_is_cumulative_and_incremental() -> None:
    histogram, values = Histogram((0.1, 1.0)), [0.05, 0.5, 0.5]
    histogram.catch_up(values)
    values += [2.0]
    histogram.catch_up(values)
    histogram.catch_up(values)  # nothing new: nothing counted twice
    samples = parse(render([histogram.family("lat_seconds", "latency")]))
    assert samples == {'lat_seconds_bucket{le="0.1"}': 1, 'lat_seconds_bucket{le="1"}': 3,
                       'lat_seconds_bucket{le="+Inf"}': 4, "lat_seconds_sum": 3.05, "lat_seconds_count": 4}  # fmt: skip
    histogram.catch_up([0.2])  # the list was replaced: start over
    assert parse(render([histogram.family("lat_seconds", "l")]))["lat_seconds_count"] == 1


def test_quantile_nearest_rank() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    assert [quantile(values, q) for q in (0.5, 0.9, 0.99)] == [3.0, 10.0, 10.0]


# -- figures of a running listener -------------------------------------------------------------


async def test_listener_figures_from_a_live_service(migrated: str, traces: Path, sessions: Sessions) -> None:
    async with ReplayServer([traces / "blind_transfer"], speed=25, inject_timestamps=True) as pbx:
        service = CallLogService(service_config(migrated, pbx.port))
        metrics = ServiceMetrics(sessions, service=service)
        assert metrics.last_event_age() is None
        await service.start()
        try:
            await asyncio.wait_for(pbx.wait_finished(), 30)
            await settle(service, migrated, 1)
            samples = parse(await metrics.exposition())
            age = metrics.last_event_age()
        finally:
            await service.stop()
    assert samples["callcenter_ami_connected"] == 1 and samples["callcenter_db_up"] == 1
    assert samples["callcenter_ami_events_total"] == service.link.received > 0
    assert samples["callcenter_calls_logged_total"] == 1
    assert samples["callcenter_ami_reconnects_total"] == 0 and samples["callcenter_ami_login_failures_total"] == 0
    assert samples["callcenter_event_queue_depth"] >= 0
    assert samples["callcenter_hangup_commit_latency_seconds_count"] == 1
    assert samples['callcenter_hangup_commit_latency_seconds_bucket{le="+Inf"}'] == 1
    assert 0 < samples["callcenter_hangup_commit_latency_seconds_sum"] < 10
    assert samples['callcenter_reconcile_total{kind="recovered"}'] == 0
    assert age is not None and 0 <= age < 30
    assert samples["callcenter_overdue_deadlines"] == 0 and samples["callcenter_transcription_queue_depth"] == 0


async def test_login_failures_and_disconnected(migrated: str, traces: Path, sessions: Sessions) -> None:
    async with ReplayServer([traces / "blind_transfer"], secret="other") as pbx:
        service = CallLogService(service_config(migrated, pbx.port))
        metrics = ServiceMetrics(sessions, service=service)
        await service.start()
        try:
            for _ in range(100):
                if service.link.login_failures:
                    break
                await asyncio.sleep(0.05)
            samples = parse(await metrics.exposition())
        finally:
            await service.stop()
    assert samples["callcenter_ami_connected"] == 0
    assert samples["callcenter_ami_login_failures_total"] >= 1 and samples["callcenter_ami_reconnects_total"] >= 1
    assert samples.get("callcenter_ami_last_event_age_seconds", 0) >= 0


# -- figures of the database -------------------------------------------------------------------


async def add_case_with_clocks(sessions: Sessions, clocks: list[tuple[str, timedelta]]) -> int:
    """A case with one clock per (state, due relative to NOW)."""
    async with sessions() as db, db.begin():
        opened = NOW - timedelta(days=3)
        case = Case(kind="complaint", source="phone", state="accepted", created_by="8001",
                    received_at=opened, created_at=opened, updated_at=NOW)  # fmt: skip
        db.add(case)
        await db.flush()
        for i, (state, due) in enumerate(clocks):
            db.add(CaseDeadline(case_id=case.id, rule_id=f"D{i + 1}", state=state, started_at=NOW - timedelta(days=3),
                                due_at=NOW + due, stopped_at=None if state in ("open", "paused") else NOW))  # fmt: skip
        return case.id


async def add_job(sessions: Sessions, state: str, created: timedelta, finished: timedelta | None = None) -> None:
    from callcenter.transcribe.models import TranscriptionJob, VoicemailDraft

    call_id = await add_call(sessions, number="13900000001", started=NOW + created, disposition="voicemail",
                             linkedid=f"vm-{state}-{created.total_seconds()}")  # fmt: skip
    async with sessions() as db, db.begin():
        draft = VoicemailDraft(call_id=call_id, status="transcribing", created_at=NOW + created, updated_at=NOW)
        db.add(draft)
        await db.flush()
        db.add(TranscriptionJob(draft_id=draft.id, state=state, next_attempt_at=NOW + created, created_at=NOW + created,
                                updated_at=NOW, finished_at=None if finished is None else NOW + finished))  # fmt: skip


async def test_overdue_and_transcription_from_the_database(sessions: Sessions) -> None:
    await add_case_with_clocks(sessions, [("open", -timedelta(hours=1)), ("open", timedelta(hours=1)),
                                          ("paused", -timedelta(hours=2)), ("late", -timedelta(days=1))])  # fmt: skip
    await add_case_with_clocks(sessions, [("open", -timedelta(seconds=1)), ("open", -timedelta(days=2))])
    await add_case_with_clocks(sessions, [("open", timedelta(seconds=1))])
    await add_job(sessions, "queued", -timedelta(minutes=5))
    await add_job(sessions, "queued", -timedelta(minutes=1))
    await add_job(sessions, "running", -timedelta(minutes=2))
    await add_job(sessions, "done", -timedelta(minutes=30), -timedelta(minutes=29))  # 60 s
    await add_job(sessions, "done", -timedelta(minutes=20), -timedelta(minutes=18))  # 120 s
    await add_job(sessions, "done", -timedelta(hours=3), -timedelta(hours=2))  # outside the window
    await add_job(sessions, "failed", -timedelta(hours=1), -timedelta(minutes=50))
    samples = parse(await ServiceMetrics(sessions, clock=clock_at(NOW)).exposition())
    assert samples["callcenter_overdue_deadlines"] == 3 and samples["callcenter_overdue_cases"] == 2
    assert samples["callcenter_transcription_queue_depth"] == 3
    assert samples['callcenter_transcription_jobs{state="queued"}'] == 2
    assert samples['callcenter_transcription_jobs{state="done"}'] == 3
    assert samples["callcenter_transcription_oldest_queued_seconds"] == 300
    assert samples['callcenter_transcription_latency_seconds{quantile="0.5"}'] == 60
    assert samples['callcenter_transcription_latency_seconds{quantile="0.9"}'] == 120
    assert samples["callcenter_transcription_finished_last_hour"] == 2
    assert "callcenter_ami_connected" not in samples  # no listener in this process


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_tables_not_there_yet_are_skipped(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await upgrade(engine, "0001")  # call log only: no case_deadlines, no transcription_jobs
        samples = parse(await ServiceMetrics(session_factory(engine, AUDIT_KEYS)).exposition())
    finally:
        await engine.dispose()
    assert samples["callcenter_db_up"] == 1
    assert not any(name.startswith(("callcenter_overdue", "callcenter_transcription")) for name in samples)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_database_down_is_a_figure_not_an_error() -> None:
    engine = create_engine(f"postgresql+asyncpg://cc:pw@127.0.0.1:{free_port()}/cc")
    try:
        metrics = ServiceMetrics(session_factory(engine, AUDIT_KEYS), db_timeout=3)
        samples = parse(await metrics.exposition())
        assert not await metrics.db_reachable()
    finally:
        await engine.dispose()
    assert samples == {"callcenter_up": 1, "callcenter_start_time_seconds": metrics.started_at, "callcenter_db_up": 0}


# -- the endpoints -----------------------------------------------------------------------------


async def panel_client(sessions: Sessions, migrated: str, metrics: ServiceMetrics, **extra: Any) -> TestClient:
    config = load_config(env={}, database_url=migrated)
    if extra:
        config = type(config)(**{**config.__dict__, "extra": extra})
    app = create_app(config, sessions=sessions, feed=LiveFeed(), settings=web_settings(), metrics=metrics)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_healthz_without_login_and_without_listener(sessions: Sessions, migrated: str) -> None:
    client = await panel_client(sessions, migrated, ServiceMetrics(sessions))
    try:
        response = await client.get("/healthz?lang=en&x=<script>")
        body = await response.json()
    finally:
        await client.close()
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    assert body == {"status": "ok", "db_reachable": True, "ami_connected": None, "last_event_age_seconds": None}


async def test_healthz_degraded_when_ami_is_down(sessions: Sessions, migrated: str) -> None:
    service = CallLogService(service_config(migrated, free_port()))  # never connected
    client = await panel_client(sessions, migrated, ServiceMetrics(sessions, service=service))
    try:
        response = await client.get("/healthz")
        body = await response.json()
    finally:
        await client.close()
        await service.engine.dispose()
    assert response.status == 503
    assert body == {"status": "degraded", "db_reachable": True, "ami_connected": False, "last_event_age_seconds": None}
    text = str(body)
    assert "callcenter-secret" not in text and "127.0.0.1" not in text and "sqlite" not in text


async def test_healthz_degraded_when_database_is_down() -> None:
    engine = create_engine(f"postgresql+asyncpg://cc:pw@127.0.0.1:{free_port()}/cc")
    config = load_config(env={})
    client = TestClient(TestServer(create_ops_app(service_metrics=ServiceMetrics(session_factory(engine, AUDIT_KEYS), db_timeout=2),
                                                  config=config, env={})))  # fmt: skip
    await client.start_server()
    try:
        first, second = await asyncio.gather(client.get("/healthz"), client.get("/healthz"))
        assert first.status == second.status == 503
        assert (await first.json())["db_reachable"] is False
    finally:
        await client.close()
        await engine.dispose()


async def test_metrics_from_loopback_without_token(sessions: Sessions, migrated: str) -> None:
    client = await panel_client(sessions, migrated, ServiceMetrics(sessions))
    try:
        ok = await client.get("/metrics")
        body = await ok.text()
        proxied = [await client.get("/metrics", headers={name: "203.0.113.9"})
                   for name in ("X-Forwarded-For", "X-Real-IP", "Forwarded")]  # fmt: skip
    finally:
        await client.close()
    assert ok.status == 200 and ok.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert parse(body)["callcenter_up"] == 1
    assert [r.status for r in proxied] == [403, 403, 403]


async def test_metrics_with_bearer_token(sessions: Sessions, migrated: str) -> None:
    client = await panel_client(sessions, migrated, ServiceMetrics(sessions), metrics_token="tok-123")
    try:
        none = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer tok-124"})
        basic = await client.get("/metrics", headers={"Authorization": "Basic tok-123"})
        right = await client.get("/metrics", headers={"Authorization": "Bearer tok-123", "X-Forwarded-For": "1.2.3.4"})
        right_text = await right.text()
    finally:
        await client.close()
    assert (none.status, wrong.status, basic.status) == (401, 401, 401)
    assert none.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert right.status == 200 and "callcenter_db_up 1" in right_text


def non_loopback_address() -> str | None:
    """An address of this host that is not loopback (the route to a public address), if any."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


async def test_metrics_refused_to_a_remote_peer_without_token(sessions: Sessions) -> None:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this host has no non-loopback IPv4 address")
    app = create_ops_app(service_metrics=ServiceMetrics(sessions), config=load_config(env={}), env={})
    server = TestServer(app, host=address)
    await server.start_server()
    try:
        async with ClientSession() as http:
            async with http.get(f"http://{address}:{server.port}/metrics") as response:
                assert response.status == 403
            async with http.get(f"http://{address}:{server.port}/healthz") as response:
                assert response.status == 200
    finally:
        await server.close()


async def test_token_from_environment_file(sessions: Sessions, tmp_path: Path) -> None:
    (tmp_path / "token").write_text("file-token\n")
    app = create_ops_app(service_metrics=ServiceMetrics(sessions), config=load_config(env={}),
                         env={"CALLCENTER_METRICS_TOKEN_FILE": str(tmp_path / "token")})  # fmt: skip
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/metrics")).status == 401
        assert (await client.get("/metrics", headers={"Authorization": "Bearer file-token"})).status == 200
    with pytest.raises(ConfigError, match="CALLCENTER_METRICS_TOKEN_FILE"):
        create_ops_app(service_metrics=ServiceMetrics(sessions), config=load_config(env={}),
                       env={"CALLCENTER_METRICS_TOKEN_FILE": str(tmp_path / "missing")})  # fmt: skip


async def test_start_ops_serves_on_ops_port(sessions: Sessions, migrated: str) -> None:
    port = free_port()
    config = load_config(env={}, database_url=migrated)
    assert await start_ops(config, ServiceMetrics(sessions), env={}) is None  # no ops_port: nothing started
    config = type(config)(**{**config.__dict__, "extra": {"ops_port": port}})
    runner = await start_ops(config, ServiceMetrics(sessions), env={})
    assert runner is not None
    try:
        async with ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 200 and (await response.json())["status"] == "ok"
    finally:
        await runner.cleanup()
    assert ops_address(config, {}) == ("127.0.0.1", port)
    assert ops_address(config, {"CALLCENTER_OPS_PORT": "9101", "CALLCENTER_OPS_HOST": "0.0.0.0"}) == ("0.0.0.0", 9101)
    for bad_port in ("eighty", 0, 70000, True, 8080.5):
        bad = type(config)(**{**config.__dict__, "extra": {"ops_port": bad_port}})
        with pytest.raises(ConfigError, match="^ops_port: expected a port number"):
            ops_address(bad, {})
    with pytest.raises(ConfigError, match="^CALLCENTER_OPS_PORT: expected a port number"):
        ops_address(config, {"CALLCENTER_OPS_PORT": "x"})


def test_ops_app_is_an_application() -> None:
    assert isinstance(create_ops_app(service_metrics=ServiceMetrics(None), config=load_config(env={}), env={}),  # type: ignore[arg-type]
                      web.Application)  # fmt: skip
