"""``GET /healthz`` and ``GET /metrics``: for load balancers, systemd watchdogs and Prometheus.

``setup_ops_routes(app, service_metrics=..., config=...)`` adds both routes to the panel
(create_app calls it); ``start_ops(config, service_metrics)`` serves them alone on
``ops_host:ops_port`` (TOML) or ``CALLCENTER_OPS_HOST``/``CALLCENTER_OPS_PORT`` when a port is
set, in any process: the only way for one without the panel (``serve --role listener``).

- ``/healthz`` needs no login and says only what a load balancer needs: ``status``
  (``ok``/``degraded``), ``db_reachable``, ``ami_connected`` and ``last_event_age_seconds``
  (null where this process does not run the listener). 200 when ok, 503 when degraded. It
  echoes nothing from the request and names no host, user or URL. The database probe is
  shared by concurrent requests and reused for a second, so a flood costs one query a second.
- ``/metrics`` (Prometheus text) needs ``Authorization: Bearer <metrics_token>`` when a
  token is configured (TOML ``metrics_token``, env ``CALLCENTER_METRICS_TOKEN`` or
  ``CALLCENTER_METRICS_TOKEN_FILE``). Without a token it answers only a loopback client
  that came directly: a request carrying ``Forwarded``/``X-Forwarded-For``/``X-Real-IP``
  came through a proxy, which would make the whole world "loopback", and is refused.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import hdrs, web

from callcenter.config import Config, ConfigError
from callcenter.metrics import CONTENT_TYPE, ServiceMetrics
from callcenter.web.auth.session import PUBLIC, requires

TOKEN_ENV = "CALLCENTER_METRICS_TOKEN"
HEALTH_CACHE_SECONDS = 1.0
PROXY_HEADERS = (hdrs.FORWARDED, hdrs.X_FORWARDED_FOR, "X-Real-IP")
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@dataclass
class Ops:
    metrics: ServiceMetrics
    token: str | None
    clock: Callable[[], float] = time.monotonic
    _probe: tuple[float, bool] | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def db_reachable(self) -> bool:
        async with self._lock:
            if self._probe is None or self.clock() - self._probe[0] >= HEALTH_CACHE_SECONDS:
                self._probe = (self.clock(), await self.metrics.db_reachable())
            return self._probe[1]


OPS = web.AppKey("ops", Ops)


def metrics_token(config: Config, env: Mapping[str, str] | None = None) -> str | None:
    """The bearer token of ``/metrics`` (TOML, env, env ``_FILE``), or None."""
    env = os.environ if env is None else env
    if config.extra.get("metrics_token"):
        return str(config.extra["metrics_token"]).strip()
    if env.get(TOKEN_ENV):
        return env[TOKEN_ENV].strip()
    if env.get(TOKEN_ENV + "_FILE"):
        path = Path(env[TOKEN_ENV + "_FILE"])
        try:
            return path.read_text().strip() or None
        except OSError as exc:
            raise ConfigError(f"{TOKEN_ENV}_FILE: {exc.strerror}: {path}") from None
    return None


def direct_loopback(request: web.Request) -> bool:
    """The peer is a loopback address and no proxy header says it relays someone else."""
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False  # a unix socket or unknown peer: not provably local


def bearer_ok(request: web.Request, token: str) -> bool:
    scheme, _, given = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@requires(PUBLIC)
async def healthz(request: web.Request) -> web.Response:
    ops = request.app[OPS]
    reachable = await ops.db_reachable()
    connected = ops.metrics.ami_connected()
    age = ops.metrics.last_event_age()
    healthy = reachable and connected is not False
    body = {
        "status": "ok" if healthy else "degraded",
        "db_reachable": reachable,
        "ami_connected": connected,
        "last_event_age_seconds": None if age is None else round(age, 1),
    }
    return web.json_response(body, status=200 if healthy else 503, headers=NO_STORE)


@requires(PUBLIC)  # the token / loopback rule below is this route's own guard
async def metrics(request: web.Request) -> web.Response:
    ops = request.app[OPS]
    if ops.token is not None:
        if not bearer_ok(request, ops.token):
            return web.Response(status=401, text="bearer token required\n",
                                headers={**NO_STORE, hdrs.WWW_AUTHENTICATE: 'Bearer realm="metrics"'})  # fmt: skip
    elif not direct_loopback(request):
        refused = "metrics: only from loopback, or configure metrics_token\n"
        return web.Response(status=403, text=refused, headers=NO_STORE)
    body = await ops.metrics.exposition()
    return web.Response(body=body.encode("utf-8"), headers={**NO_STORE, hdrs.CONTENT_TYPE: CONTENT_TYPE})


def setup_ops_routes(
    app: web.Application,
    *,
    service_metrics: ServiceMetrics,
    config: Config,
    env: Mapping[str, str] | None = None,
) -> None:
    """Add ``GET /healthz`` and ``GET /metrics`` to ``app`` (the token is read now, once)."""
    app[OPS] = Ops(service_metrics, metrics_token(config, env))
    app.router.add_get("/healthz", healthz, name="healthz")
    app.router.add_get("/metrics", metrics, name="metrics")


def create_ops_app(
    *, service_metrics: ServiceMetrics, config: Config, env: Mapping[str, str] | None = None
) -> web.Application:
    """An application with only the two routes (no sessions, no panel)."""
    app = web.Application(client_max_size=1024)
    setup_ops_routes(app, service_metrics=service_metrics, config=config, env=env)
    return app


def ops_address(config: Config, env: Mapping[str, str] | None = None) -> tuple[str, int] | None:
    """Where ``start_ops`` listens: ``CALLCENTER_OPS_HOST``/``_PORT`` over TOML ``ops_host``/``ops_port``
    (host default 127.0.0.1); None when no port is set."""
    env = os.environ if env is None else env
    key, port = ("CALLCENTER_OPS_PORT", env["CALLCENTER_OPS_PORT"]) if env.get("CALLCENTER_OPS_PORT") else (
        "ops_port", config.extra.get("ops_port"))  # fmt: skip
    if port is None:
        return None
    try:
        number = int(port) if not isinstance(port, bool | float) else -1
    except ValueError:
        number = -1
    if not 0 < number < 65536:
        raise ConfigError(f"{key}: expected a port number, got {port!r}")
    host = env.get("CALLCENTER_OPS_HOST") or str(config.extra.get("ops_host", "127.0.0.1"))
    return host, number


async def start_ops(
    config: Config, service_metrics: ServiceMetrics, *, env: Mapping[str, str] | None = None
) -> web.AppRunner | None:
    """Serve /healthz and /metrics on ``ops_host:ops_port``; None when ``ops_port`` is not set."""
    address = ops_address(config, env)
    if address is None:
        return None
    runner = web.AppRunner(create_ops_app(service_metrics=service_metrics, config=config, env=env),
                           access_log=None, shutdown_timeout=2.0)  # fmt: skip
    await runner.setup()
    try:
        await web.TCPSite(runner, *address).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
