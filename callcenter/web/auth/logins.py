"""Logins found valid a moment ago, so that a clerk's burst of requests costs one lookup.

``auth.current_user`` asks the database whether a session is still valid (not revoked, not
expired, the account active) and remembers a yes here for at most ``TTL`` seconds (never
past the session's expiry). Whatever changes go through this process (any unsafe request:
logout, a password change, an account edit) clear it, so here a revocation counts at once;
another panel process honours it within the TTL.
"""

from __future__ import annotations

import time
from datetime import datetime

from callcenter.web.models import User


class LoginCache:
    """Recently validated logins: session-id digest → (user, valid until (the app's clock, i.e.
    the session's expiry or idle limit), remembered until (monotonic))."""

    TTL = 2.0
    SIZE = 10_000

    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._valid: dict[str, tuple[User, datetime, float]] = {}

    def get(self, digest: str, now: datetime) -> User | None:
        found = self._valid.get(digest)
        if found is None:
            return None
        user, valid_until, remembered_until = found
        if now >= valid_until or time.monotonic() >= remembered_until:
            del self._valid[digest]
            return None
        return user

    def put(self, digest: str, user: User, valid_until: datetime) -> None:
        if len(self._valid) >= self.SIZE:
            self._valid.clear()  # a flood of sessions: start over rather than grow
        self._valid[digest] = (user, valid_until, time.monotonic() + self.ttl)

    def clear(self) -> None:
        self._valid.clear()
