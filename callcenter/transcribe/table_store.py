"""The extraction tables in force: the administrator's edit (database) or the packaged file.

``extraction_tables`` holds at most one row per table (``keywords``, ``gazetteer``): the TOML
text saved in the panel. No row: the packaged file (``keywords.toml``, ``gazetteer.toml``)
is in force, version 0. :func:`save` validates the text with the loaders of
:mod:`~callcenter.transcribe.tables` (a :class:`TableError` names the table and the entry;
nothing is stored), then writes it only if the version is still the one the editor saw
(:class:`StaleTable` otherwise) and audits it; :func:`reset` deletes the row (audited).

Versions only grow, also across a reset: a new row takes 1 + the number of audited version
changes of that table, so a (table, version) pair always means the same text and the
Transcriber's :class:`TableCache` can keep parsed tables until a version changes.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.audit import record_change
from callcenter.tickets.models import AuditEntry
from callcenter.transcribe.extract import extract
from callcenter.transcribe.models import ExtractionTable
from callcenter.transcribe.tables import (
    Gazetteer,
    KeywordTable,
    TableError,
    default_gazetteer,
    default_keywords,
    gazetteer_from_text,
    keywords_from_text,
    packaged_text,
)

log = logging.getLogger(__name__)
NAMES = ("keywords", "gazetteer")
ENTITY = "extraction_table"  # the audit trail's entity; entity_id: the table's name
MAX_CHARS = 200_000  # a TOML table larger than this is a mistake
Sessions = async_sessionmaker[AsyncSession]


class StaleTable(Exception):
    """The table changed since the editor read it (another version is in force now)."""


@dataclass(frozen=True)
class TableText:
    """One table as stored: its TOML text, version and where it comes from."""

    name: str
    content: str
    version: int  # 0: the packaged file
    source: str  # "packaged" | "edited"
    updated_at: dt.datetime | None = None
    updated_by: str | None = None


@dataclass(frozen=True)
class Tables:
    """The parsed tables in force and their versions (keywords, gazetteer)."""

    keywords: KeywordTable
    gazetteer: Gazetteer
    versions: tuple[int, int] = (0, 0)

    def extract(self, text: str, ignore_phones: Iterable[str] = ()) -> dict[str, Any]:
        """The draft fields read from ``text`` with these tables (JSON-ready)."""
        return extract(text, keywords=self.keywords, gazetteer=self.gazetteer, ignore_phones=ignore_phones).to_dict()


def check_name(name: str) -> str:
    if name not in NAMES:
        raise LookupError(f"no extraction table {name!r}; known: {', '.join(NAMES)}")
    return name


def validate(name: str, content: str) -> KeywordTable | Gazetteer:
    """The parsed table, or :class:`TableError` naming the table and the entry."""
    if len(content) > MAX_CHARS:
        raise TableError(f"{name}: too long ({len(content)} characters, at most {MAX_CHARS})")
    return keywords_from_text(content, name) if check_name(name) == "keywords" else gazetteer_from_text(content, name)


@functools.lru_cache(maxsize=16)
def _parsed(name: str, version: int, content: str) -> KeywordTable | Gazetteer:
    """A stored table, parsed once per (table, version) (the text is part of the key too)."""
    parse = keywords_from_text if name == "keywords" else gazetteer_from_text
    return parse(content, f"{name} (edited, version {version})")


def packaged(name: str) -> TableText:
    return TableText(check_name(name), packaged_text(name), 0, "packaged")


def _text(row: ExtractionTable) -> TableText:
    return TableText(row.name, row.content, row.version, "edited", row.updated_at, row.updated_by)


async def read(session: AsyncSession, name: str) -> TableText:
    """The table ``name`` in force: the edited text, else the packaged one."""
    row = await session.get(ExtractionTable, check_name(name), populate_existing=True)
    return _text(row) if row is not None else packaged(name)


async def load(session: AsyncSession) -> Tables:
    """Both tables in force, parsed. A stored text that no longer validates (e.g. after an
    upgrade) is logged and the packaged table is used instead: extraction never stops."""
    rows = {r.name: r for r in (await session.scalars(select(ExtractionTable))).all()}
    keywords: KeywordTable = default_keywords()
    gazetteer: Gazetteer = default_gazetteer()
    versions = [0, 0]
    for i, name in enumerate(NAMES):
        row = rows.get(name)
        if row is None:
            continue
        versions[i] = row.version  # an invalid text is reported once per version, not per job
        try:
            parsed = _parsed(name, row.version, row.content)
        except TableError as exc:
            log.error("extraction: the edited %s table (version %d) is invalid, using the packaged one: %s",
                      name, row.version, exc)  # fmt: skip
            continue
        if isinstance(parsed, KeywordTable):
            keywords = parsed
        else:
            gazetteer = parsed
    return Tables(keywords, gazetteer, (versions[0], versions[1]))


async def _next_version(session: AsyncSession, name: str) -> int:
    """1 + the audited version changes of ``name``: larger than any version it ever had."""
    count = await session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity == ENTITY, AuditEntry.entity_id == name, AuditEntry.field == "version"))  # fmt: skip
    return int(count or 0) + 1


async def _write(session: AsyncSession, current: TableText, content: str, seen: int, actor: str,
                 now: dt.datetime) -> int:  # fmt: skip
    """Insert or conditionally update the row; the new version (StaleTable if outrun)."""
    if current.version != seen:
        raise StaleTable(f"{current.name}: version {seen} was replaced by version {current.version}")
    if current.source == "packaged":
        version = await _next_version(session, current.name)
        session.add(ExtractionTable(name=current.name, content=content, version=version, updated_at=now,
                                    updated_by=actor[:64]))  # fmt: skip
        await session.flush()  # a concurrent first edit: IntegrityError (→ StaleTable in save)
        return version
    result = await session.execute(
        update(ExtractionTable)
        .where(ExtractionTable.name == current.name, ExtractionTable.version == seen)
        .values(content=content, version=seen + 1, updated_at=now, updated_by=actor[:64])
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleTable(f"{current.name}: changed by someone else since version {seen}")
    return seen + 1


async def save(sessions: Sessions, name: str, content: str, version: int, *, actor: str, now: dt.datetime,
               reason: str | None = None) -> TableText:  # fmt: skip
    """Validate and store ``content`` as table ``name`` if ``version`` is still in force;
    audited. :class:`TableError` (invalid: nothing stored), :class:`StaleTable` (outrun)."""
    content = content.replace("\r\n", "\n")
    validate(name, content)
    try:
        async with sessions() as session, session.begin():
            current = await read(session, name)
            new = await _write(session, current, content, version, actor, now)
            await record_change(session, actor=actor, entity=ENTITY, entity_id=name, at=now, reason=reason,
                                changes={"version": (current.version, new), "content": (current.content, content)})
    except IntegrityError:
        raise StaleTable(f"{name}: someone else saved a first edit meanwhile") from None
    log.info("extraction: %s table saved by %s (version %d)", name, actor, new)
    return TableText(name, content, new, "edited", now, actor)


async def reset(sessions: Sessions, name: str, *, actor: str, now: dt.datetime, version: int | None = None,
                reason: str | None = None) -> TableText:  # fmt: skip
    """Back to the packaged table (the row is deleted; audited). With ``version``: only if
    that version is still in force (:class:`StaleTable` otherwise). Resetting the packaged
    table changes nothing."""
    async with sessions() as session, session.begin():
        current = await read(session, name)
        if version is not None and version != current.version:
            raise StaleTable(f"{name}: version {version} was replaced by version {current.version}")
        if current.source == "packaged":
            return current
        result = await session.execute(delete(ExtractionTable).where(
            ExtractionTable.name == name, ExtractionTable.version == current.version))  # fmt: skip
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleTable(f"{name}: changed by someone else since version {current.version}")
        default = packaged(name)
        await record_change(session, actor=actor, entity=ENTITY, entity_id=name, at=now,
                            reason=reason or "reset to the packaged table",
                            changes={"version": (current.version, 0), "content": (current.content, default.content)})
    log.info("extraction: %s table reset to the packaged one by %s", name, actor)
    return default


class TableCache:
    """The tables in force for one process: per call, one small query for the versions;
    the texts are read and parsed again only when a version changed."""

    def __init__(self) -> None:
        self._tables: Tables | None = None

    async def current(self, sessions: Sessions) -> Tables:
        async with sessions() as session:
            rows = (await session.execute(select(ExtractionTable.name, ExtractionTable.version))).all()
            versions = {name: version for name, version in rows}
            key = (versions.get(NAMES[0], 0), versions.get(NAMES[1], 0))
            if self._tables is None or self._tables.versions != key:
                self._tables = await load(session)
        return self._tables
