"""The extraction tables in force: the packaged files until an administrator saves an edit;
an edit is validated (nothing stored when invalid), guarded by its version, audited, and
the packaged table comes back on reset. The Transcriber reads the fields of the next
voicemail with the edited tables, without a restart."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from callcenter import audit
from callcenter.tickets.models import Case
from callcenter.transcribe import table_store as store
from callcenter.transcribe.drafts import create_draft
from callcenter.transcribe.models import ExtractionTable
from callcenter.transcribe.table_store import StaleTable, TableCache
from callcenter.transcribe.tables import TableError, packaged_text
from callcenter.transcribe.transcriber import Transcriber
from callcenter.transcribe.pool import TranscriptionPool
from tests.transcribe.vm_support import DATA, T0, Sessions, add_call, all_drafts, config_for, database, put_message

NOISE = ('\n[[category]]\nname = "noise"\nlabel = "噪音扰民"\npriority = 10\nkeywords = ["噪音"]\n'
         'case = { kind = "complaint" }\n')
SAID = "楼下 邻居 装修 噪音 太 大 了"
LATER = T0 + dt.timedelta(minutes=5)


def with_noise() -> str:
    return packaged_text("keywords") + NOISE


async def test_the_packaged_tables_are_in_force_until_an_edit(migrated: str) -> None:
    async with database(migrated) as sessions:
        async with sessions() as session:
            text = await store.read(session, "keywords")
            tables = await store.load(session)
    assert (text.version, text.source, text.content) == (0, "packaged", packaged_text("keywords"))
    assert tables.versions == (0, 0) and tables.keywords.source == "keywords.toml"
    assert tables.extract(SAID)["category"] is None


async def test_an_edit_is_stored_audited_and_used(migrated: str) -> None:
    async with database(migrated) as sessions:
        saved = await store.save(sessions, "keywords", with_noise().replace("\n", "\r\n"), 0, actor="admin", now=T0)
        async with sessions() as session:
            text = await store.read(session, "keywords")
            tables = await store.load(session)
            trail = await audit.history(session, store.ENTITY, "keywords")
        assert (await audit.verify(sessions)).ok
    assert (saved.version, saved.source, saved.updated_by) == (1, "edited", "admin")
    assert text.content == with_noise() and text.version == 1 and text.updated_at == T0
    assert tables.versions == (1, 0) and tables.extract(SAID)["category"] == "noise"
    assert tables.keywords.hint("noise").kind == "complaint" and tables.gazetteer.demo is True
    assert {row.field for row in trail} == {"version", "content"} and {row.actor for row in trail} == {"admin"}


@pytest.mark.parametrize(("table", "content", "message"), [
    ("keywords", "[[category]]\nname = 'Noise'\nkeywords = ['噪音']", "keywords: category[0] ('Noise'): name must be"),
    ("keywords", "[[category]\nname = ", "keywords: cannot read (not valid TOML)"),
    ("gazetteer", '[stations]\n"湖滨" = "一所"\n[[compound]]\nname = "幸福小区"\nstation = "银湖"',
     "gazetteer: compound[0] ('幸福小区'): station '银湖' is not listed"),
])  # fmt: skip
async def test_an_invalid_table_names_the_problem_and_stores_nothing(
    migrated: str, table: str, content: str, message: str
) -> None:
    async with database(migrated) as sessions:
        with pytest.raises(TableError) as info:
            await store.save(sessions, table, content, 0, actor="admin", now=T0)
        async with sessions() as session:
            assert (await store.read(session, table)).source == "packaged"
            assert await audit.history(session, store.ENTITY, table) == []
    assert str(info.value).startswith(message)


async def test_a_stale_version_is_refused(migrated: str) -> None:
    async with database(migrated) as sessions:
        await store.save(sessions, "keywords", with_noise(), 0, actor="admin", now=T0)
        with pytest.raises(StaleTable):  # edited from the packaged table, which is no longer in force
            await store.save(sessions, "keywords", packaged_text("keywords"), 0, actor="other", now=LATER)
        await store.save(sessions, "keywords", with_noise() + "# two\n", 1, actor="admin", now=LATER)
        with pytest.raises(StaleTable):
            await store.save(sessions, "keywords", with_noise(), 1, actor="other", now=LATER)
        with pytest.raises(StaleTable):
            await store.reset(sessions, "keywords", actor="other", now=LATER, version=1)
        async with sessions() as session:
            text = await store.read(session, "keywords")
    assert (text.version, text.updated_by) == (2, "admin") and text.content.endswith("# two\n")


async def test_two_first_edits_at_once_one_wins(migrated: str) -> None:
    async with database(migrated) as sessions:
        outcomes = await asyncio.gather(
            *(store.save(sessions, "keywords", with_noise() + f"# {who}\n", 0, actor=who, now=T0)
              for who in ("admin", "other")), return_exceptions=True)  # fmt: skip
        async with sessions() as session:
            text = await store.read(session, "keywords")
    assert sorted(type(o).__name__ for o in outcomes) == ["StaleTable", "TableText"]
    assert text.version == 1 and text.content.endswith(f"# {text.updated_by}\n")


async def test_reset_brings_the_packaged_table_back_and_versions_keep_growing(migrated: str) -> None:
    async with database(migrated) as sessions:
        await store.save(sessions, "keywords", with_noise(), 0, actor="admin", now=T0)
        back = await store.reset(sessions, "keywords", actor="admin", now=LATER, version=1)
        async with sessions() as session:
            assert await session.get(ExtractionTable, "keywords") is None
            trail = await audit.history(session, store.ENTITY, "keywords")
        again = await store.save(sessions, "keywords", with_noise(), 0, actor="admin", now=LATER)
        assert (await store.reset(sessions, "gazetteer", actor="admin", now=LATER)).version == 0  # nothing to do
    assert (back.source, back.version) == ("packaged", 0)
    assert trail[-1].reason == "reset to the packaged table" and len(trail) == 4
    assert again.version == 3  # never 1 again: a (table, version) pair always means one text


async def test_the_cache_follows_the_versions(migrated: str) -> None:
    cache = TableCache()
    async with database(migrated) as sessions:
        first = await cache.current(sessions)
        assert await cache.current(sessions) is first  # unchanged: nothing parsed again
        await store.save(sessions, "keywords", with_noise(), 0, actor="admin", now=T0)
        edited = await cache.current(sessions)
        await store.reset(sessions, "keywords", actor="admin", now=LATER)
        back = await cache.current(sessions)
    assert first.versions == (0, 0) and edited.versions == (1, 0) and back.versions == (0, 0)
    assert edited.extract(SAID)["category"] == "noise" and back.extract(SAID)["category"] is None


async def test_a_stored_table_that_no_longer_validates_falls_back_to_the_packaged_one(
    migrated: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with database(migrated) as sessions:
        async with sessions() as session, session.begin():
            session.add(ExtractionTable(name="keywords", content="[[category]]\nname = 'X'", version=7,
                                        updated_at=T0, updated_by="admin"))  # fmt: skip
        with caplog.at_level(logging.ERROR, logger="callcenter.transcribe.table_store"):
            tables = await TableCache().current(sessions)
    assert tables.versions == (7, 0) and tables.keywords.source == "keywords.toml"
    assert "the edited keywords table (version 7) is invalid" in caplog.text


# What the Korean test model really hears in ko_yes_mom.wav is "네 엄마": an administrator's new
# category keyed on 엄마 must be found in the next voicemail, through the real pipeline.
MOM = ('\n[[category]]\nname = "mom_test"\nlabel = "测试类别"\npriority = 10\nkeywords = ["엄마"]\n'
       'case = { kind = "consultation" }\n')


async def voicemail(sessions: Sessions, spool: Path, name: str) -> int:
    call = await add_call(sessions, put_message(spool, name, DATA / "ko_yes_mom.wav"))
    assert await create_draft(sessions, call.id, now=T0, spool_dir=spool) is not None
    return call.id


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_transcriber_reads_the_next_voicemail_with_the_edited_table(
    migrated: str, tmp_path: Path, ko_model_path: Path
) -> None:
    """Real model, real worker pool: the first voicemail is read with the packaged table, the
    administrator saves an edit, the second (same process, no restart) with the edited one."""
    spool = tmp_path / "spool"
    pool = TranscriptionPool(ko_model_path, 1)
    assert await pool.start() is None
    try:
        async with database(migrated) as sessions:
            worker = Transcriber(config_for(migrated, spool, ko_model_path), sessions, pool=pool,
                                 clock=lambda: T0, poll_interval=0.05, scan_interval=3600.0)  # fmt: skip
            await voicemail(sessions, spool, "msg0000")
            assert await worker.run_once(T0) == 1
            await store.save(sessions, "keywords", packaged_text("keywords") + MOM, 0, actor="admin", now=T0)
            await voicemail(sessions, spool, "msg0001")
            assert await worker.run_once(T0) == 1
            before, after = await all_drafts(sessions)
            async with sessions() as session:
                kinds = {c.id: (c.kind, c.category) for c in (await session.scalars(select(Case))).all()}
    finally:
        await pool.close()
    assert "엄마" in (before.draft.transcript or "") and "엄마" in (after.draft.transcript or "")
    assert before.draft.extracted is not None and before.draft.extracted["category"] is None
    assert after.draft.extracted is not None and after.draft.extracted["category"] == "mom_test"
    assert after.case is not None and kinds[after.case.id] == ("consultation", "测试类别")
    assert before.case is not None and kinds[before.case.id] == ("complaint", "")
