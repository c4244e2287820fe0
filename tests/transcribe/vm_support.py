"""Builders for the voicemail pipeline tests: a spool, voicemail calls, reading drafts back."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.config import Config, load_config
from callcenter.db.models import Call
from callcenter.db.session import create_engine, session_factory
from callcenter.tickets.models import Case, CaseCall
from callcenter.transcribe.models import TranscriptionJob, VoicemailDraft
from tests.keys import AUDIT_KEYS

Sessions = async_sessionmaker[AsyncSession]
DATA = Path(__file__).parent / "data"
INBOX = ("hotline", "6085708", "INBOX")
ASTERISK_INBOX = "/var/spool/asterisk/voicemail/hotline/6085708/INBOX"
T0 = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
_linkedids = itertools.count(1)


def message_txt(caller: str = '"Zhang Wei" <13909511234>', duration: int = 1, origtime: int = 1795898786) -> str:
    return (
        ";\n; Message Information file\n;\n[message]\norigmailbox=6085708\ncontext=from-trunk\n"
        f"exten=6085708\ncallerchan=SIP/trunk-00000141\ncallerid={caller}\norigtime={origtime}\n"
        f"category=\nflag=\nduration={duration}\n"
    )


def put_message(spool: Path, name: str, audio: bytes | Path | None, *, txt: str | None = None) -> str:
    """Write ``<spool>/hotline/6085708/INBOX/<name>.wav`` (+ ``.txt``); the path Asterisk logs."""
    inbox = spool.joinpath(*INBOX)
    inbox.mkdir(parents=True, exist_ok=True)
    if isinstance(audio, Path):
        shutil.copyfile(audio, inbox / f"{name}.wav")
    elif audio is not None:
        (inbox / f"{name}.wav").write_bytes(audio)
    (inbox / f"{name}.txt").write_text(txt if txt is not None else message_txt(), encoding="utf-8")
    return f"{ASTERISK_INBOX}/{name}"


async def add_call(
    sessions: Sessions, message_path: str | None, *, caller: str = "13909511234", name: str = "Zhang Wei",
    disposition: str = "voicemail", at: dt.datetime = T0,
) -> Call:  # fmt: skip
    """An ended call as the call log stores it (a voicemail by default)."""
    linkedid = f"1795898{next(_linkedids):03d}.{id(sessions) % 1000}"
    call = Call(
        linkedid=linkedid, status="ended", source="live", caller_number=caller, caller_name=name,
        dialed_number="6085708", started_at=at, answered_at=at + dt.timedelta(seconds=15),
        ended_at=at + dt.timedelta(seconds=30), ring_seconds=15.0, talk_seconds=15.0, duration_seconds=30.0,
        disposition=disposition, transferred_to=[], updated_at=at,
        voicemail_mailbox="6085708@hotline" if disposition == "voicemail" else None,
        voicemail_path=message_path if disposition == "voicemail" else None,
        voicemail_duration=11.0 if disposition == "voicemail" else None,
    )  # fmt: skip
    async with sessions() as session, session.begin():
        session.add(call)
    return call


@dataclass
class Draft:
    draft: VoicemailDraft
    job: TranscriptionJob
    case: Case | None
    links: list[int]


async def draft_of(sessions: Sessions, call_id: int) -> Draft:
    async with sessions() as session:
        draft = await session.scalar(select(VoicemailDraft).where(VoicemailDraft.call_id == call_id))
        assert draft is not None, f"no draft for call {call_id}"
        job = await session.scalar(select(TranscriptionJob).where(TranscriptionJob.draft_id == draft.id))
        assert job is not None
        case = await session.get(Case, draft.case_id) if draft.case_id else None
        links = (await session.scalars(select(CaseCall.call_id).where(CaseCall.case_id == draft.case_id))).all()
        return Draft(draft, job, case, list(links))


async def all_drafts(sessions: Sessions) -> list[Draft]:
    async with sessions() as session:
        call_ids = (await session.scalars(select(VoicemailDraft.call_id).order_by(VoicemailDraft.id))).all()
    return [await draft_of(sessions, c) for c in call_ids]


@asynccontextmanager
async def database(url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(url)
    try:
        yield session_factory(engine, AUDIT_KEYS)
    finally:
        await engine.dispose()


def config_for(db_url: str, spool: Path, model: Path | None, **values: Any) -> Config:
    return load_config(env={}, database_url=db_url, spool_dir=spool, vosk_model=model, **values)


class Clock:
    """A settable clock: ``clock()`` is now; ``clock.advance(seconds)``."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now
