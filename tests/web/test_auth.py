"""Login, logout, sessions, throttling, cookies, CSRF and Origin checks."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest

from callcenter.web import keys
from callcenter.web.auth.accounts import find_user, set_password
from tests.web.conftest import CHEAP, PASSWORD, Panel, csrf_of, login


async def test_login_redirects_back_and_logout_revokes(panel: Panel) -> None:
    client = panel.client
    response = await client.get("/calls?number=123", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "/login?next=/calls?number%3D123"
    status, token = await login(client, "clerk", next="/calls?number=123")
    assert status == 302
    me = await client.get("/api/me")
    assert (await me.json())["username"] == "clerk"
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))["callcenter_session"].value
    response = await client.post("/logout", data={"csrf_token": token}, allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/login"
    assert (await client.get("/api/me")).status == 401
    # The old cookie, replayed, is dead: the server-side row is revoked.
    client.session.cookie_jar.update_cookies({"callcenter_session": cookie})
    assert (await client.get("/api/me")).status == 401


async def test_login_redirect_target_must_be_local(panel: Panel) -> None:
    token = await csrf_of(panel.client)
    response = await panel.client.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf_token": token,
                                                       "next": "//evil.example/x"}, allow_redirects=False)  # fmt: skip
    assert response.status == 302 and response.headers["Location"] == "/"


async def test_wrong_password_and_unknown_user_look_the_same(panel: Panel) -> None:
    assert (await login(panel.client, "clerk", "wrong password"))[0] == 401
    assert (await login(panel.client, "nobody", "wrong password"))[0] == 401


async def test_password_change_revokes_sessions(panel: Panel) -> None:
    """Changed outside this process (``callcenter user passwd``, another panel process): the
    login is refused once the remembered validation runs out (LoginCache.TTL, here shortened)."""
    panel.app[keys.LOGINS].ttl = 0.3
    assert (await login(panel.client, "clerk"))[0] == 302
    assert (await panel.client.get("/api/me")).status == 200
    async with panel.sessions() as db, db.begin():
        user = await find_user(db, "clerk")
        assert user is not None
        assert await set_password(db, user, CHEAP.hash("a new password"), panel.clock()) == 1
    await asyncio.sleep(0.35)
    assert (await panel.client.get("/api/me")).status == 401
    assert (await login(panel.client, "clerk", "a new password"))[0] == 302


async def test_revocation_through_this_process_counts_at_once(panel: Panel) -> None:
    """A login remembered as valid is forgotten when a change goes through the panel: after an
    administrator deactivates the account, its very next request is refused."""
    clerk = panel.client
    assert (await login(clerk, "clerk"))[0] == 302
    assert (await clerk.get("/api/me")).status == 200  # now remembered
    async with panel.sessions() as db:
        clerk_id = (await find_user(db, "clerk")).id  # type: ignore[union-attr]
    base = str(clerk.make_url("/"))
    async with aiohttp.ClientSession(base_url=base, cookie_jar=aiohttp.CookieJar(unsafe=True)) as admin:
        token = await csrf_of(admin, "/login")  # type: ignore[arg-type]
        form = {"username": "admin", "password": PASSWORD, "csrf_token": token}
        assert (await admin.post("/login", data=form, allow_redirects=False)).status == 302
        token = await csrf_of(admin, "/")  # type: ignore[arg-type]
        response = await admin.post(f"/api/admin/users/{clerk_id}/active", json={"active": False},
                                    headers={"X-CSRF-Token": token, "Origin": base.rstrip("/")})  # fmt: skip
        assert response.status == 200, await response.text()
    assert (await clerk.get("/api/me")).status == 401


async def test_session_idle_and_absolute_expiry(panel: Panel) -> None:
    assert (await login(panel.client, "clerk"))[0] == 302
    panel.clock.advance(11 * 3600)
    assert (await panel.client.get("/api/me")).status == 200  # refreshes last_seen
    panel.clock.advance(11 * 3600)
    assert (await panel.client.get("/api/me")).status == 200
    panel.clock.advance(2.5 * 3600)  # 24.5 h after login: past the absolute limit
    assert (await panel.client.get("/api/me")).status == 401


async def test_throttling_locks_out_then_grows_and_survives_restart(panel: Panel) -> None:
    for _ in range(4):
        assert (await login(panel.client, "clerk", "bad"))[0] == 401
    assert (await login(panel.client, "clerk", "bad"))[0] == 401  # 5th: now locked 30 s
    status, _ = await login(panel.client, "clerk")  # even the right password is refused
    assert status == 429
    token = await csrf_of(panel.client)
    response = await panel.client.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf_token": token})
    assert response.status == 429 and 25 <= int(response.headers["Retry-After"]) <= 30
    assert "秒后再试" in await response.text()
    panel.clock.advance(31)
    assert (await login(panel.client, "clerk", "bad"))[0] == 401  # 6th: locked 60 s
    panel.clock.advance(31)
    assert (await login(panel.client, "clerk"))[0] == 429
    panel.clock.advance(30)
    assert (await login(panel.client, "clerk"))[0] == 302  # success clears the record
    assert (await login(panel.client, "other_clerk"))[0] == 302  # other usernames never were locked


async def test_session_cookie_attributes(panel: Panel) -> None:
    token = await csrf_of(panel.client)
    response = await panel.client.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf_token": token},
                                       allow_redirects=False)  # fmt: skip
    cookies = {h.split("=", 1)[0]: h for h in response.headers.getall("Set-Cookie")}
    for name in ("callcenter_session", "callcenter_device"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_secure_cookie_by_default(panel: Panel) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from callcenter.web.app import create_app
    from tests.web.conftest import web_settings

    app = create_app(panel.config, sessions=panel.sessions, feed=panel.feed, clock=panel.clock,
                     settings=web_settings(cookie_secure=True))  # fmt: skip
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/login")
        assert "Secure" in response.headers["Set-Cookie"]


async def test_login_needs_csrf_and_same_origin(panel: Panel) -> None:
    response = await panel.client.post("/login", data={"username": "clerk", "password": PASSWORD})
    assert response.status == 403
    token = await csrf_of(panel.client)
    response = await panel.client.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf_token": token},
                                       headers={"Origin": "http://evil.example"}, allow_redirects=False)  # fmt: skip
    assert response.status == 403
    response = await panel.client.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf_token": token},
                                       headers={"Origin": panel.origin}, allow_redirects=False)  # fmt: skip
    assert response.status == 302


async def test_security_headers(panel: Panel) -> None:
    response = await panel.client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_language_switch(panel: Panel) -> None:
    text = await (await panel.client.get("/login")).text()
    assert "用户名" in text and 'lang="zh-CN"' in text
    response = await panel.client.get("/login?lang=en")
    assert "Username" in await response.text()
    assert "Username" in await (await panel.client.get("/login")).text()  # remembered in the cookie


async def test_favicon_is_served_without_login_and_linked_from_the_pages(panel: Panel) -> None:
    response = await panel.client.get("/favicon.ico", allow_redirects=False)
    assert response.status == 200 and response.content_type == "image/svg+xml"
    assert (await response.read()).startswith(b"<svg")
    login_page = await (await panel.client.get("/login")).text()
    icon = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)"', login_page)
    assert icon, "the login page links no icon"
    linked = await panel.client.get(icon.group(1))
    assert linked.status == 200 and linked.content_type == "image/svg+xml"
    await login(panel.client, "clerk")
    assert '<link rel="icon"' in await (await panel.client.get("/cases")).text()
