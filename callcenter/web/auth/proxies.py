"""The client's address behind a reverse proxy, believed only from the proxies we trust.

Behind the nginx of ``deploy/README.md`` every request comes from 127.0.0.1: the login
throttle would lump all clerks into one address. ``trusted_proxies`` (TOML list or
``CALLCENTER_TRUSTED_PROXIES``, comma-separated addresses or networks) names the proxies;
a request whose TCP peer is one of them gets ``request.remote`` from ``X-Forwarded-For``
(the right-most address that is not itself a trusted proxy), as aiohttp-remotes'
``XForwardedFiltered`` computes it. A request from anywhere else keeps its TCP peer, whatever
headers it sends: a client cannot pick its own address by sending ``X-Forwarded-For``.

aiohttp-remotes (aio-libs) parses and validates the headers; its filtered mode alone would
also believe a client that connects directly, hence the peer check here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from aiohttp_remotes import XForwardedFiltered

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str], key: str = "trusted_proxies") -> tuple[Network, ...]:
    from callcenter.config import ConfigError

    networks = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ConfigError(f"{key}: not an address or network: {value!r}") from None
    return tuple(networks)


def _peer(request: web.Request) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    peer = request.transport.get_extra_info("peername") if request.transport is not None else None
    if not peer:
        return None
    try:
        address = ipaddress.ip_address(peer[0])
    except ValueError:  # a unix socket
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def forwarded_middleware(trusted: tuple[Network, ...]) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """Middleware: ``request.remote`` from X-Forwarded-For when the peer is a trusted proxy."""
    filtered = XForwardedFiltered(set(trusted))

    @web.middleware
    async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        peer = _peer(request)
        if trusted and peer is not None and any(peer in network for network in trusted):
            return await filtered.middleware(request, handler)
        return await handler(request)

    return forwarded
