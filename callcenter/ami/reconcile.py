"""Exactly once across faults: reconcile the live call log with Asterisk's own records.

On every (re)connect: ``CoreShowChannels`` tells which calls are still up (adopt them;
calls we followed that are gone ended while nobody listened), then new rows of Master.csv
(if configured) and the ``Cdr`` events stored by the recorder give the truth about calls
that happened, fully or partly, while the service was not listening. Calls found only in
the CDR are inserted as ``source = recovered``. Everything is idempotent (see db/calls.py).

After the commit each recovered voicemail call is announced on the live feed
(:func:`recovered_message`), as the recorder announces the end of a voicemail call it
followed: the voicemail pipeline makes its draft at once (:func:`callcenter.transcribe.drafts.follow`).
Other recovered calls are not announced (nobody waits for them; a first start on a long
Master.csv would flood the panels).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.ami import calls as sm
from callcenter.ami import cdr
from callcenter.ami import events as ev
from callcenter.ami.cdrzone import ZoneCheck
from callcenter.ami.contract import ASTERISK_SPOOL_ROOT
from callcenter.ami.events import MAX_VALUE, unescape_c
from callcenter.db import calls as store
from callcenter.db.models import Call, CdrRow
from callcenter.db.session import whole
from callcenter.transcribe.voicemail import VoicemailError, read_metadata

if TYPE_CHECKING:
    from callcenter.ami.listener import AmiLink
    from callcenter.ami.recorder import Recorder

log = logging.getLogger(__name__)
UTC = ZoneInfo("UTC")  # CDR rows are parsed as UTC first, then re-read in the effective zone
CSV_CURSOR = "master_csv"
MAX_CSV_CHUNK = 8 << 20
RECOVERED = "call_recovered"  # the type of the live-feed message of a call recovered from the CDR


def recovered_message(call_id: int, rec: dict[str, Any]) -> dict[str, Any]:
    """The live feed's announcement of a voicemail call inserted from the CDR (JSON types only)."""
    return {"type": RECOVERED, "call_id": call_id, "linkedid": rec["linkedid"],
            "caller_number": rec["caller_number"], "voicemail": True}  # fmt: skip


class Reconciler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        recorder: Recorder,
        *,
        link: AmiLink | None = None,
        cdr_tz: str = "UTC",
        cdr_csv: Path | None = None,
        spool_dir: Path | None = None,
    ) -> None:
        self.sessions = sessions
        self.recorder = recorder
        self.link = link
        self.zone = ZoneCheck(cdr_tz)  # the setting, checked against the PBX's own clocks
        self._zone_warned: str | None = None
        self.cdr_csv = cdr_csv
        self.spool_dir = spool_dir
        self.disconnected_at: float | None = None
        self.stats = {"adopted": 0, "gap_ended": 0, "recovered": 0, "csv_rows": 0, "csv_errors": 0}
        recorder.reconciler = self

    # -- connection events (run inside the recorder's consumer, in stream order) ----------
    def on_disconnected(self, reason: str, t: float) -> None:
        self.disconnected_at = self.recorder.pbx_time(t)
        for state in self.recorder.states.values():
            state.gap = True
        log.warning("reconcile: AMI lost (%s); %d calls in progress", reason, len(self.recorder.states))

    async def on_connected(self, t: float) -> None:
        """Snapshot what is up, read what Asterisk recorded meanwhile, then settle the gap:
        calls that ended in it are completed from those records, the rest are adopted."""
        channels: list[dict[str, str]] | None = None
        if self.link is not None:
            try:
                channels = await self.link.core_show_channels()
            except Exception as exc:  # noqa: BLE001
                log.error("reconcile: CoreShowChannels failed (%s); adoption deferred", exc)
        if self.cdr_csv is not None:
            await whole(self.scan_csv())  # whole(): see Recorder.flush
        if channels is not None:
            self.adopt(channels, self.recorder.pbx_time(t))
        await self.recorder.flush()
        await whole(self.recover())
        if channels is not None:
            self.disconnected_at = None

    def adopt(self, channels: list[dict[str, str]], now: float) -> None:
        """Merge a CoreShowChannels snapshot into the calls being followed."""
        listed: dict[str, list[dict[str, str]]] = {}
        for ch in channels:
            if ch.get("Linkedid") and ch.get("Uniqueid"):
                listed.setdefault(ch["Linkedid"], []).append(ch)
        for linkedid, state in list(self.recorder.states.items()):
            last = self.recorder.last_seen.get(linkedid, state.started_at)
            present = {ch["Uniqueid"] for ch in listed.get(linkedid, [])}
            for leg in state.legs.values():
                if leg.ended_at is None and leg.uniqueid not in present:
                    leg.ended_at, state.gap = last, True
            if linkedid not in listed:
                state.gap = True
                state.ended_at = last
                self.stats["gap_ended"] += 1
                self.recorder.mark_dirty(linkedid, "ended")
            else:
                self._merge_bridges(state, listed[linkedid], now)
        for linkedid, chans in listed.items():
            if linkedid not in self.recorder.states and linkedid not in self.recorder.ended:
                self.recorder.states[linkedid] = adopted_state(linkedid, chans, now)
                self.recorder.last_seen[linkedid] = now
                self.recorder.mark_dirty(linkedid, "started")
                self.stats["adopted"] += 1
                log.info("reconcile: adopted call %s in progress (%d channels)", linkedid, len(chans))

    def _merge_bridges(self, state: sm.CallState, chans: list[dict[str, str]], now: float) -> None:
        if state.answered_by is not None:
            return
        fresh = adopted_state(state.linkedid, chans, now)
        if fresh.answered_by is not None:
            state.answered_by, state.answered_at, state.gap = fresh.answered_by, fresh.answered_at, True
            self.recorder.mark_dirty(state.linkedid, "answered")

    # -- CDR ---------------------------------------------------------------------------------
    async def store_ami_cdr(
        self, session: AsyncSession, events: list[dict[str, str]], call_ids: dict[str, int] | None = None
    ) -> None:
        naive = []
        for headers in events:
            try:
                row = cdr.row_from_ami(headers, UTC)
            except cdr.CdrError as exc:
                log.warning("reconcile: Cdr event skipped: %s", exc)
                continue
            naive.append(row)
            self.zone.observe_row(row.uniqueid, row.start)
            # the row that closes the call is written as its Cdr event is sent
            if row.end is not None and headers.get("Timestamp"):
                self.zone.observe(row.end, ev.event_time(headers, 0.0) or None)
        rows = self._in_zone(naive)
        await store.store_cdr_rows(session, rows, "ami", call_ids)

    @property
    def tz(self) -> tzinfo:
        """The zone CDR times are read in: the setting unless the PBX's clocks contradict it."""
        return self.zone.effective()

    def _in_zone(self, naive: list[cdr.Row]) -> list[cdr.Row]:
        """Rows parsed as UTC, re-read in the effective zone; warns when the setting is wrong."""
        message = self.zone.message()
        if message != self._zone_warned:
            if message:
                log.warning("reconcile: %s", message)
            elif self._zone_warned:
                log.info("reconcile: CDR time zone agrees with the PBX again (%s)", self.zone.configured_name)
            self._zone_warned = message
        return [cdr.in_zone(row, self.tz) for row in naive]

    async def complete_from_cdr(
        self, session: AsyncSession, state: sm.CallState, rec: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        """Fill what the live path missed (start of an adopted call, end in a gap)."""
        started = store.utc(state.started_at)
        assert started is not None
        rows = [
            r
            for r in await store.cdr_rows_for(session, state.linkedid, started)
            if r.is_call_root and abs((r.start - started).total_seconds()) < 3600 * 6
        ]
        if not rows:
            return rec, state.gap
        from_cdr = cdr.record_from_rows(rows, voicemail=rec.get("voicemail") or self.find_voicemail(rows))
        merged = dict(from_cdr)
        if rec.get("answered_by"):
            merged.update(
                answered_by=rec["answered_by"],
                disposition="answered",
                abandon_stage=None,
                transferred_to=list(dict.fromkeys([*rec["transferred_to"], *from_cdr["transferred_to"]])),
            )
            if merged["answered_at"] is None:
                merged["answered_at"] = store.utc(rec["answered_at"])
        elif not state.gap and not state.adopted:
            merged.update(disposition=rec["disposition"], abandon_stage=rec["abandon_stage"])
        merged["caller_number"] = rec["caller_number"] or merged["caller_number"]
        merged["caller_name"] = rec["caller_name"] or merged["caller_name"]
        return merged, False

    async def scan_and_recover(self) -> int:
        if self.cdr_csv is not None:
            await whole(self.scan_csv())
        return await whole(self.recover())

    async def scan_csv(self) -> int:
        """Read Master.csv rows appended since the last scan into ``cdr_rows``."""
        path = self.cdr_csv
        assert path is not None
        try:
            st = path.stat()
        except FileNotFoundError:
            return 0
        async with self.sessions() as session, session.begin():
            cursor = await store.get_cursor(session, CSV_CURSOR)
            offset = cursor.get("offset", 0)
            if cursor.get("inode") != st.st_ino or cursor.get("path") != str(path) or offset > st.st_size:
                offset = 0  # rotated, replaced or truncated: read it again (rows are idempotent)
            total = 0
            while offset < st.st_size:
                chunk = _read_complete_lines(path, offset, MAX_CSV_CHUNK)
                if not chunk:
                    break
                naive, errors = cdr.parse_master_csv(chunk.decode("utf-8", "replace"), UTC)
                for row in naive:
                    self.zone.observe_row(row.uniqueid, row.start)
                rows = self._in_zone(naive)
                for error in errors:
                    log.warning("reconcile: %s: %s", path, error)
                self.stats["csv_errors"] += len(errors)
                total += await store.store_cdr_rows(session, rows, "csv", dict(self.recorder.call_ids))
                offset += len(chunk)
            await store.set_cursor(session, CSV_CURSOR, {"path": str(path), "inode": st.st_ino, "offset": offset})
        self.stats["csv_rows"] += total
        return total

    async def recover(self) -> int:
        """Insert calls that only the CDR knows about; link CDR rows to their calls.

        Linear in the number of unlinked rows: rows are read as plain tuples, the calls they
        may belong to are fetched in chunks, and the links are written in one executemany.
        """
        live = set(self.recorder.states)
        recovered, new_ids, links, announced = 0, [], [], []  # announced: recovered voicemail calls
        table = CdrRow.__table__
        root = ~table.c.channel.like("Local/%") & table.c.lastapp.notin_(cdr.OUTGOING_APPS)
        async with self.sessions() as session, session.begin():
            orphans = (await session.execute(select(table).where(table.c.call_id.is_(None), root))).mappings().all()
            groups: dict[str, list[Any]] = {}
            for row in orphans:
                if row["uniqueid"] not in live:
                    groups.setdefault(row["uniqueid"], []).append(row)
            known = await _calls_by_linkedid(session, list(groups))
            for uniqueid, db_rows in groups.items():
                rows = [cdr.Row(**{f: r[f] for f in cdr.Row.__dataclass_fields__}) for r in db_rows]
                started = min(r.start for r in rows)
                call_id, status = _match(known.get(uniqueid, []), started)
                if call_id is None:
                    rec = cdr.record_from_rows(rows, voicemail=self.find_voicemail(rows))
                    legs = [_leg_from_row(r) for r in rows if r.dstchannel]
                    await store.insert_recovered(session, rec, legs)
                    call = await store.find_call(session, uniqueid, rec["started_at"])
                    if call is None:
                        continue
                    call_id, status = call.id, call.status
                    new_ids.append(call_id)
                    if rec["disposition"] == "voicemail":
                        announced.append(recovered_message(call_id, rec))
                    recovered += 1
                    await self.recorder._run_tx_hooks(session, [(call_id, rec["caller_number"])])
                    log.info("reconcile: recovered call %s from CDR (%s)", uniqueid, rec["disposition"])
                if status != "open":
                    links += [{"b_id": r["id"], "b_call": call_id} for r in db_rows]
            if links:
                stmt = table.update().where(table.c.id == bindparam("b_id")).values(call_id=bindparam("b_call"))
                await session.execute(stmt, links)
        self.stats["recovered"] += recovered
        for call_id in new_ids:  # after the commit: the hooks see the row
            self.recorder.notify_logged(call_id)
        for message in announced:  # so do the feed's readers (the voicemail drafts)
            self.recorder.feed.publish(message)
        return recovered

    def find_voicemail(self, rows: list[cdr.Row]) -> dict[str, Any] | None:
        """The message stored during this call, from the spool's .txt files (CDR can't tell)."""
        vm_rows = [r for r in rows if r.lastapp.lower() == "voicemail"]
        if not vm_rows or self.spool_dir is None or not self.spool_dir.is_dir():
            return None
        channel = vm_rows[0].channel
        start = min(r.start for r in rows) - timedelta(seconds=5)
        end = max((r.end or r.start) for r in rows) + timedelta(seconds=5)
        for txt in sorted(self.spool_dir.glob("*/*/*/msg*.txt")):
            try:
                meta = read_metadata(txt.with_suffix("")) or {}
            except VoicemailError as exc:
                log.warning("reconcile: %s: %s", txt, exc)
                continue
            if meta.get("callerchan") != channel:
                continue
            try:
                origtime = datetime.fromtimestamp(int(meta.get("origtime", "")), start.tzinfo)
            except (ValueError, OSError):
                continue
            if start <= origtime <= end:
                rel = txt.relative_to(self.spool_dir).with_suffix("")
                context, mailbox = rel.parts[0], rel.parts[1]
                duration = meta.get("duration", "")
                return {
                    "mailbox": f"{mailbox}@{context}",
                    "path": f"{ASTERISK_SPOOL_ROOT}/{rel.as_posix()}",
                    "duration_seconds": float(duration) if duration.isdigit() else None,
                }
        return None


def adopted_state(linkedid: str, chans: list[dict[str, str]], now: float) -> sm.CallState:
    """A call seen only from the middle, from its CoreShowChannel entries."""
    durations = [_hms(ch.get("Duration", "")) for ch in chans]
    started = now - max(durations, default=0.0)
    state = sm.CallState(linkedid=linkedid, started_at=started, adopted=True)
    for ch, dur in zip(chans, durations):
        uid, channel = ch["Uniqueid"], ch.get("Channel", "")
        role = "caller" if uid == linkedid else ("local" if channel.startswith("Local/") else "agent")
        leg = sm.Leg(uniqueid=uid, channel=channel, role=role, created_at=now - dur,
                     extension=sm.extension_of(channel))  # fmt: skip
        if ch.get("ChannelStateDesc") == "Up":
            leg.up_at = leg.created_at
        state.legs[uid] = leg
        if role == "caller":
            state.caller_number = ch.get("CallerIDNum", "")
            state.caller_name = unescape_c(ch.get("CallerIDName", ""))[: MAX_VALUE]
            state.dialed_number = ch.get("Exten", "")
            if ch.get("Application", "").lower() == "voicemail":
                state.in_voicemail_at = now
        if ch.get("BridgeId"):
            state.bridges.setdefault(ch["BridgeId"], []).append(uid)
    for members in state.bridges.values():
        if linkedid in members:
            for uid in members:
                leg = state.legs[uid]
                if uid != linkedid and leg.role != "local" and leg.extension and state.answered_by is None:
                    state.answered_by, state.answered_at = leg.extension, now
    return state


async def _calls_by_linkedid(session: AsyncSession, linkedids: list[str]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for i in range(0, len(linkedids), 500):
        chunk = linkedids[i : i + 500]
        stmt = select(Call.id, Call.linkedid, Call.status, Call.started_at).where(Call.linkedid.in_(chunk))
        for row in (await session.execute(stmt)).all():
            found.setdefault(row.linkedid, []).append(row)
    return found


def _match(candidates: list[Any], started: datetime) -> tuple[int | None, str | None]:
    """The call among rows of one Linkedid that these CDR rows belong to (see db/calls.py)."""
    same = [c for c in candidates if c.status == "open" or abs(c.started_at - started) <= store.SAME_CALL_WINDOW]
    if not same:
        return None, None
    best = min(same, key=lambda c: (c.status != "open", abs(c.started_at - started)))
    return best.id, best.status


def _hms(value: str) -> float:
    try:
        h, m, s = (int(p) for p in value.split(":"))
        return float(h * 3600 + m * 60 + s)
    except ValueError:
        return 0.0


def _leg_from_row(row: cdr.Row) -> dict[str, Any]:
    return {
        "uniqueid": f"{row.uniqueid}:{row.dstchannel}",
        "channel": row.dstchannel,
        "role": "agent",
        "extension": sm.extension_of(row.dstchannel),
        "created_at": row.start,
        "rang_at": None,
        "up_at": row.answer,
        "bridged_at": row.answer,
        "ended_at": row.end,
        "hangup_cause": None,
        "dial_status": row.disposition,
    }


def _read_complete_lines(path: Path, offset: int, limit: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(offset)
        data = fh.read(limit)
    cut = data.rfind(b"\n")
    return data[: cut + 1] if cut >= 0 else b""
