"""A realistic working day for the end-to-end test and the screenshots: two weeks of calls,
cases at every stage across the stations (some overdue), voicemail drafts with transcripts,
and the notices the timer sent. Deterministic (seeded), built through the tickets module."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.models import Call
from callcenter.tickets.cases import NewCase, create_case, transition
from callcenter.tickets.directory import unit_by_code
from callcenter.tickets.sweep import Sweeper
from callcenter.transcribe.models import VoicemailDraft
from tests.web.conftest import add_call

VM_PATH = "/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000"
STATIONS = ("hubin", "beiyuan", "renyi", "xinli", "yucai", "tanglai", "xihuan", "yinhu")
COMPOUNDS = {"hubin": "湖滨花园", "beiyuan": "北苑新村", "renyi": "春华家园", "xinli": "文化花园", "yucai": "书香苑",
             "tanglai": "渠畔家园", "xihuan": "贺兰山花园", "yinhu": "碧水苑"}  # fmt: skip
PROBLEMS = {
    "temperature": ["室温只有15度，要求上门测温", "卧室暖气不热，室温16度", "家里冰凉，老人怕冷"],
    "repair": ["卫生间暖气片漏水", "阀门关不上，一直滴水", "暖气片爆裂，正在往下滴水"],
    "complaint": ["维修人员态度差，推诿", "报修两天没人来", "收费与实际面积不符"],
    "supervision": ["物业办转来：小区整栋楼不热", "12345转办：老旧小区供热不达标"],
    "consultation": ["咨询开栓时间", "咨询缴费方式"],
    "application": ["申请停热", "申请过户"],
}
NAMES = ("张伟", "王秀英", "李娜", "刘洋", "陈静", "杨帆", "马建国", "赵敏", "黄磊", "周丽", "吴强", "徐军")
# (kind, final state, days ago accepted, station, urgent)
PLAN = [
    ("repair", "accepted", 0.05, None, True), ("temperature", "assigned", 1.2, "hubin", False),
    ("complaint", "assigned", 4.0, "hubin", False), ("repair", "feedback_received", 2.0, "beiyuan", False),
    ("temperature", "resolved", 3.0, "renyi", False), ("supervision", "assigned", 6.0, "xinli", False),
    ("complaint", "suspended", 5.0, "yucai", False), ("repair", "called_back", 6.0, "tanglai", False),
    ("temperature", "assigned", 0.3, "xihuan", False), ("complaint", "resolved", 1.0, "yinhu", False),
    ("consultation", "accepted", 0.2, None, False), ("application", "assigned", 3.5, "hubin", False),
    ("repair", "assigned", 2.5, "renyi", False), ("temperature", "closed", 8.0, "beiyuan", False),
    ("complaint", "feedback_received", 0.8, "tanglai", False), ("supervision", "accepted", 0.4, None, False),
    ("repair", "assigned", 1.6, "yinhu", True), ("temperature", "assigned", 0.9, "yucai", False),
]
STEPS = {"assigned": ["assign"], "feedback_received": ["assign", "feedback"],
         "resolved": ["assign", "feedback", "resolve"], "suspended": ["assign", "suspend"],
         "called_back": ["assign", "feedback", "resolve", "callback_satisfied"],
         "closed": ["assign", "feedback", "resolve", "callback_satisfied", "close"]}  # fmt: skip
TRANSCRIPT = [("您好", 0.93), ("我", 0.97), ("是", 0.95), ("湖滨", 0.88), ("花园", 0.91), ("三号楼", 0.55),
              ("二单元", 0.72), ("五零一", 0.41), ("的", 0.96), ("住户", 0.9), ("家里", 0.94), ("暖气", 0.97),
              ("不热", 0.89), ("室温", 0.83), ("只有", 0.9), ("十五度", 0.52), ("请", 0.95), ("尽快", 0.86),
              ("派人", 0.58), ("来", 0.93), ("看看", 0.9), ("电话", 0.92), ("幺三九", 0.47), ("零九五一", 0.5),
              ("幺二三四", 0.49)]  # fmt: skip


@dataclass
class Floor:
    cases: dict[str, int]  # name → case id (hubin, other_station, drafts…)
    drafts: list[int]


async def seed_calls(sessions: async_sessionmaker[AsyncSession], now: datetime, days: int = 14) -> None:
    """Two weeks of calls (no legs: the charts and the ledger only need the rows)."""
    rng = random.Random(6085708)
    rows = []
    for day in range(days):
        base = (now - timedelta(days=day)).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(hours=8)
        for _ in range(rng.randint(25, 55)):
            hour = min(23, max(0, int(rng.gauss(11, 3.5))))
            start = base + timedelta(hours=hour, minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
            if start >= now:
                continue
            outcome = rng.choices(["answered", "abandoned", "voicemail", "busy"], [70, 15, 10, 5])[0]
            talk = rng.uniform(40, 400) if outcome == "answered" else 0.0
            rows.append(Call(
                linkedid=f"S{start.timestamp():.0f}.{len(rows)}", status="ended", source="live",
                caller_number=f"139{rng.randint(10000000, 99999999)}", caller_name="", dialed_number="6085708",
                started_at=start, answered_at=start + timedelta(seconds=4) if outcome == "answered" else None,
                ended_at=start + timedelta(seconds=talk + 8), ring_seconds=rng.uniform(2, 20), talk_seconds=talk,
                duration_seconds=talk + 8, disposition=outcome, answered_by=rng.choice(["8001", "8002"])
                if outcome == "answered" else None, transferred_to=[], incomplete=False, updated_at=start,
            ))  # fmt: skip
    async with sessions() as db, db.begin():
        db.add_all(rows)


async def _case(sessions: async_sessionmaker[AsyncSession], now: datetime, i: int, spec: tuple[Any, ...]) -> int:
    kind, final, days_ago, station, urgent = spec
    rng = random.Random(i)
    at = now - timedelta(days=days_ago)
    code = station or rng.choice(STATIONS)
    new = NewCase(kind=kind, source="property_office" if kind == "supervision" else "phone",
                  caller_name=NAMES[i % len(NAMES)], caller_phone=f"1390951{1000 + i * 37:04d}",
                  compound=COMPOUNDS[code], building=str(rng.randint(1, 18)), unit_no=str(rng.randint(1, 4)),
                  room=f"{rng.randint(1, 6)}0{rng.randint(1, 4)}", problem=rng.choice(PROBLEMS[kind]),
                  severity="medium" if kind == "repair" else None, urgent=urgent, received_at=at,
                  first_responder=rng.choice(["8001", "8002"]))  # fmt: skip
    case = await create_case(sessions, new, actor="clerk", role="clerk", now=at, accept=True)
    async with sessions() as db:
        unit = await unit_by_code(db, code)
    step_at = at
    for action in STEPS.get(final, []):
        step_at += timedelta(hours=rng.uniform(0.3, 5)) if action != "assign" else timedelta(minutes=12)
        step_at = min(step_at, now - timedelta(minutes=5))
        data = {"assign": {"station_id": unit.id if unit else None}, "suspend": {"approved_by": "供热办 王主任"}}
        reason = {"suspend": "用户要求赔偿，协调中", "feedback": "已上门处理，恢复正常"}.get(action)
        actor, role = ("station", "station") if action == "feedback" else ("clerk", "clerk")
        await transition(sessions, case.id, action, actor=actor, role=role, now=step_at, data=data.get(action),
                         reason=reason)  # fmt: skip
    return case.id


async def seed_drafts(sessions: async_sessionmaker[AsyncSession], now: datetime) -> list[int]:
    """Three voicemail drafts: transcribed (doubtful words), still transcribing, failed."""
    out = []
    for n, (status, minutes) in enumerate((("transcribed", 35), ("transcribing", 12), ("failed", 80))):
        at = now - timedelta(minutes=minutes)
        call_id = await add_call(sessions, caller_number=f"1390951{1234 + n}", caller_name="", started_at=at,
                                 disposition="voicemail", answered_by=None, answered_at=None, talk_seconds=0.0,
                                 voicemail_path=VM_PATH, voicemail_duration=23.0, voicemail_mailbox="6085708@hotline")  # fmt: skip
        filled = status == "transcribed"
        new = NewCase(kind="complaint", source="voicemail", caller_phone=f"1390951{1234 + n}", received_at=at,
                      compound="湖滨花园" if filled else "", building="3" if filled else "", unit_no="2" if filled else "",
                      room="501" if filled else "", category="温度不达标 / 测温" if filled else "",
                      problem=" ".join(w for w, _ in TRANSCRIPT) if filled else "")  # fmt: skip
        case = await create_case(sessions, new, actor="system:voicemail", role="system", now=at, call_id=call_id)
        words = [{"word": w, "start": 0.4 * i, "end": 0.4 * i + 0.35, "conf": c} for i, (w, c) in enumerate(TRANSCRIPT)]
        async with sessions() as db, db.begin():
            db.add(VoicemailDraft(
                call_id=call_id, case_id=case.id, message_path=VM_PATH, message_info={}, duration_seconds=23.0,
                status=status, reason="recording refused: unreadable GSM frame" if status == "failed" else None,
                transcript=" ".join(w for w, _ in TRANSCRIPT) if filled else None, confidence=0.78 if filled else None,
                words=words if filled else None, filled=["compound", "building", "unit_no", "room", "category", "problem"]
                if filled else [], extracted={"phones": ["13909511234"], "address": {"compound": "湖滨花园",
                "building": "3", "unit": "2", "room": "501"}, "temperature_c": 15.0, "category": "temperature",
                "station": "湖滨"} if filled else None, created_at=at, updated_at=at,
                transcribed_at=at + timedelta(seconds=20) if filled else None,
            ))  # fmt: skip
        out.append(case.id)
    return out


async def seed_floor(sessions: async_sessionmaker[AsyncSession], now: datetime) -> Floor:
    await seed_calls(sessions, now)
    ids = [await _case(sessions, now, i, spec) for i, spec in enumerate(PLAN)]
    await Sweeper(sessions).run_once(now)  # reminders and overdue notices, as the timer would have sent
    drafts = await seed_drafts(sessions, now)
    return Floor({"hubin": ids[2], "other_station": ids[3], "overdue": ids[2]}, drafts)
