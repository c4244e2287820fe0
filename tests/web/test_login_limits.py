"""Login limits behind a reverse proxy, password spraying, strangers locking a clerk out, the
password policy and "change my password"."""

from __future__ import annotations

import re

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.web.app import create_app
from callcenter.web.auth.accounts import AccountError, check_password
from tests.web.conftest import PASSWORD, Panel, csrf_of, login, web_settings

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


async def proxied_panel(panel: Panel, trusted: tuple[str, ...]) -> TestClient:
    from callcenter.web.auth.proxies import parse_networks

    settings = web_settings(trusted_proxies=parse_networks(trusted))
    app = create_app(panel.config, sessions=panel.sessions, feed=panel.feed, clock=panel.clock, settings=settings)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def attempt(base: str, username: str, password: str, *, forwarded: str | None = None,
                  jar: aiohttp.CookieJar | None = None) -> int:  # fmt: skip
    """One login from a browser (its own cookie jar) behind the proxy as ``forwarded``."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    jar = jar if jar is not None else aiohttp.CookieJar(unsafe=True)  # (an empty jar is falsy)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(f"{base}/login", headers=headers) as page:
            token = TOKEN.search(await page.text()).group(1)  # type: ignore[union-attr]
        async with http.post(f"{base}/login", data={"username": username, "password": password, "csrf_token": token},
                             headers=headers, allow_redirects=False) as response:  # fmt: skip
            return response.status


def base_of(client: TestClient) -> str:
    return str(client.make_url("")).rstrip("/")


async def test_behind_a_trusted_proxy_a_stranger_locks_only_their_own_address(panel: Panel) -> None:
    client = await proxied_panel(panel, ("127.0.0.1",))
    base = base_of(client)
    try:
        for _ in range(6):  # the lockout recipe of the issue, from outside
            assert await attempt(base, "clerk", "wrong password", forwarded="203.0.113.9") in (401, 429)
        assert await attempt(base, "clerk", PASSWORD, forwarded="203.0.113.9") == 429
        # the clerk at the hotline, through the same nginx, is a different address
        assert await attempt(base, "clerk", PASSWORD, forwarded="10.1.2.3") == 302
    finally:
        await client.close()


async def test_an_untrusted_peer_cannot_choose_its_address(panel: Panel) -> None:
    client = await proxied_panel(panel, ("192.0.2.0/24",))  # the proxy is elsewhere: 127.0.0.1 is a client
    base = base_of(client)
    try:
        for n in range(5):  # rotating X-Forwarded-For does not reset the lock of the real address
            assert await attempt(base, "clerk", "wrong password", forwarded=f"198.51.100.{n}") == 401
        assert await attempt(base, "clerk", PASSWORD, forwarded="198.51.100.77") == 429
    finally:
        await client.close()


async def test_a_malformed_forwarded_header_from_the_proxy_is_a_400(panel: Panel) -> None:
    client = await proxied_panel(panel, ("127.0.0.1",))
    try:
        response = await client.get("/login", headers={"X-Forwarded-For": "not-an-address"})
        assert response.status == 400
    finally:
        await client.close()


async def test_spraying_one_attempt_per_account_locks_the_address(panel: Panel) -> None:
    client = await proxied_panel(panel, ("127.0.0.1",))
    base = base_of(client)
    try:
        statuses = [await attempt(base, f"user{n}", "Password123!", forwarded="203.0.113.50") for n in range(21)]
        assert statuses[:20] == [401] * 20 and statuses[20] == 429
        assert await attempt(base, "clerk", PASSWORD, forwarded="203.0.113.50") == 429  # the address, any account
        assert await attempt(base, "clerk", PASSWORD, forwarded="203.0.113.51") == 302
    finally:
        await client.close()


async def test_guessing_from_many_addresses_locks_new_browsers_but_not_the_clerks(panel: Panel) -> None:
    client = await proxied_panel(panel, ("127.0.0.1",))
    base = base_of(client)
    desk = aiohttp.CookieJar(unsafe=True)
    try:
        assert await attempt(base, "clerk", PASSWORD, forwarded="10.1.2.3", jar=desk) == 302  # the clerk's desk
        for n in range(10):  # a botnet: one guess per address
            assert await attempt(base, "clerk", "wrong password", forwarded=f"198.51.100.{n}") == 401
        assert await attempt(base, "clerk", PASSWORD, forwarded="198.51.100.200") == 429  # a new browser: locked
        assert await attempt(base, "clerk", PASSWORD, forwarded="10.1.2.3", jar=desk) == 302  # the desk: not
        assert await attempt(base, "clerk", PASSWORD, forwarded="198.51.100.201") == 302  # a success cleared it
    finally:
        await client.close()


@pytest.mark.parametrize("password, why", [
    ("12345678", "at least 12"), ("aaaaaaaaaaaa", "easy to guess"), (" " * 12, "easy to guess"),
    ("password1234", "easy to guess"), ("qwertyuiop12", "easy to guess"), ("clerk-hotline-2027", "username"),
    ("CLERK-hotline-2027", "username"), ("x" * 1025, "at most 1024"),
])  # fmt: skip
async def test_the_password_policy(db_url: str, password: str, why: str) -> None:
    with pytest.raises(AccountError, match=why):
        check_password(password, "clerk")


async def test_an_integer_password_is_refused(db_url: str) -> None:
    with pytest.raises(AccountError, match="text"):
        check_password(12345678, "clerk")
    assert check_password("rexian-6085708", "clerk") == "rexian-6085708"


async def test_change_my_password_needs_the_old_one_and_ends_other_sessions(panel: Panel) -> None:
    other = TestClient(panel.client.server)
    await other.start_server()
    try:
        assert (await login(other, "clerk"))[0] == 302
        assert (await login(panel.client, "clerk"))[0] == 302
        token = await csrf_of(panel.client, "/account/password")
        form = {"csrf_token": token, "old_password": "not it", "new_password": "winter-boiler-7731",
                "new_password_again": "winter-boiler-7731"}  # fmt: skip
        response = await panel.client.post("/account/password", data=form)
        assert response.status == 400 and "当前密码不正确" in await response.text()
        response = await panel.client.post("/account/password", data={**form, "old_password": PASSWORD,
                                                                       "new_password_again": "other"})  # fmt: skip
        assert response.status == 400 and "不一致" in await response.text()
        weak = {**form, "old_password": PASSWORD, "new_password": "password1234", "new_password_again": "password1234"}
        response = await panel.client.post("/account/password", data=weak)
        assert response.status == 400 and "容易被猜到" in await response.text()
        response = await panel.client.post("/account/password", data={**form, "old_password": PASSWORD})
        assert response.status == 200 and "其他地方的登录已全部退出" in await response.text()
        assert (await panel.client.get("/api/me")).status == 200  # this browser stays in
        assert (await other.get("/api/me")).status == 401  # the other one is out
        assert (await login(other, "clerk", PASSWORD))[0] == 401
        assert (await login(other, "clerk", "winter-boiler-7731"))[0] == 302
    finally:
        await other.close()


async def test_change_my_password_by_api(panel: Panel) -> None:
    _, token = await login(panel.client, "clerk")
    headers = {"X-CSRF-Token": token, "Origin": panel.origin}
    response = await panel.client.post("/api/me/password", json={"old_password": PASSWORD, "new_password": 12345678},
                                       headers=headers)  # fmt: skip
    body = await response.json()
    assert response.status == 400 and body["field"] == "new_password"
    response = await panel.client.post("/api/me/password", json={"old_password": PASSWORD,
                                       "new_password": "clerk-boiler-7731"}, headers=headers)  # fmt: skip
    assert response.status == 400 and (await response.json())["field"] == "new_password"
    response = await panel.client.post("/api/me/password", json={"old_password": PASSWORD,
                                       "new_password": "winter-boiler-7731"}, headers=headers)  # fmt: skip
    assert response.status == 200 and (await response.json())["changed"] is True
