"""Who and what the pages name: units, people, clerks' extensions — read at most every ``TTL``.

They change rarely (the directory is seeded; accounts change through the panel, which drops the
snapshot at once), and a list page names dozens of them: one query per ``TTL`` instead of two or
three per request. Each panel instance keeps its own snapshot; after a change made elsewhere a
name may be up to ``TTL`` old, never wrong about who may see what (access never reads it).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.tickets.models import Person, Unit
from callcenter.web import i18n
from callcenter.web.models import User

TTL = 30.0
# Actors that are no person (the timer, the call log, the voicemail transcription): named in the
# reader's language by the ``actor.<id>`` strings, never by their raw id.
SYSTEM_WORDS = {"system": i18n.N_("System"), "system:voicemail": i18n.N_("System (voicemail transcription)")}
SYSTEM_ACTORS = tuple(SYSTEM_WORDS)
SYSTEM_NAMES = {who: i18n.translator(i18n.DEFAULT).gettext(w) for who, w in SYSTEM_WORDS.items()}


def is_system(actor: str | None) -> bool:
    return bool(actor) and (actor in SYSTEM_ACTORS or str(actor).startswith("system:"))


@dataclass(frozen=True)
class Snapshot:
    units: dict[int, Unit] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)
    clerks: dict[str, str] = field(default_factory=dict)  # extension → display name
    actors: dict[str, str] = field(default_factory=dict)  # login, username or extension → name

    def in_lang(self, lang: str) -> Snapshot:
        """The same names, the system actors named in ``lang``."""
        if lang == i18n.DEFAULT:
            return self
        return replace(self, actors={**self.actors, **{who: i18n.translator(lang).gettext(w) for who, w in SYSTEM_WORDS.items()}})

    def stations(self) -> list[Unit]:
        return sorted((u for u in self.units.values() if u.kind == "station"), key=lambda u: u.id)


async def read_snapshot(session: AsyncSession) -> Snapshot:
    units = {u.id: u for u in (await session.scalars(select(Unit))).all()}
    people = {p.id: p for p in (await session.scalars(select(Person))).all()}
    users = (await session.execute(select(User.username, User.display_name, User.extension))).all()
    clerks = {ext: name for _, name, ext in users if ext}
    actors = {**SYSTEM_NAMES, **{p.login: p.name for p in people.values()}, **clerks}
    actors.update({username: name for username, name, _ in users})
    return Snapshot(units, people, clerks, actors)


class Names:
    """The snapshot of one app; refreshed by one request at a time when it is older than ``ttl``."""

    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._snapshot: Snapshot | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self, sessions: async_sessionmaker[AsyncSession]) -> Snapshot:
        if self._snapshot is not None and time.monotonic() - self._read_at < self.ttl:
            return self._snapshot
        async with self._lock:
            if self._snapshot is None or time.monotonic() - self._read_at >= self.ttl:
                async with sessions() as session:
                    self._snapshot = await read_snapshot(session)
                self._read_at = time.monotonic()
            return self._snapshot

    def invalidate(self) -> None:
        """Accounts changed: the next request reads afresh."""
        self._snapshot = None
