"""The demo's cases: a realistic set dated relative to now, so a newcomer sees supervision,
overdue clocks, escalations, chasing and notices at once (``callcenter demo``).

Every state of the workflow, some cases overdue (an urgent repair whose 1-hour limit passed, a
complaint the station has not fed back for three working days), some due soon, a second
complaint escalated to the office head, a chased case, and the notices the timer's sweep makes
of them; a clerk on the duty rota around now. Idempotent: nothing is added when a demo case
exists. Callers come from :data:`CALLERS`, the numbers the demo's replayed calls use too.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.tickets import duty
from callcenter.tickets.cases import NewCase, create_case, transition
from callcenter.tickets.directory import unit_by_code
from callcenter.tickets.errors import CaseError
from callcenter.tickets.models import Case
from callcenter.tickets.sweep import Sweeper

log = logging.getLogger(__name__)
ACTOR = "8001"  # the demo's clerk (王敏), first responsible person of the phone cases
CALLERS = ("13909511234", "13895012345", "13709516688", "18809517766", "15309513322", "13995186655")
FEEDBACK = "已上门检查，更换了阀门，室温恢复到20度，用户确认"


@dataclass(frozen=True)
class Plan:
    """One demo case: its fields, when it was received (hours before now), the steps after."""

    kind: str
    hours_ago: float
    station: str
    steps: Sequence[tuple[str, float, str, dict[str, Any]]] = ()  # (action, hours ago, role, input)
    fields: dict[str, Any] = field(default_factory=dict)


def plans() -> list[Plan]:
    fb = {"reason": FEEDBACK}
    return [
        Plan("repair", 3, "hubin", [("assign", 2.9, "clerk", {})],
             {"urgent": True, "severity": "minor", "compound": "湖滨花园", "building": "3", "room": "501",
              "problem": "暖气片爆裂，屋里漏水", "damage": "地板泡水", "category": "漏水"}),
        Plan("complaint", 24 * 6, "beiyuan", [("assign", 24 * 6 - 0.5, "clerk", {})],
             {"compound": "北苑小区", "building": "12", "problem": "暖气不热，室温15度", "category": "不热"}),
        Plan("temperature", 2, "renyi", [("assign", 1.8, "clerk", {})],
             {"compound": "仁义家园", "building": "7", "problem": "申请测温", "category": "测温"}),
        Plan("supervision", 30, "xinli", [("assign", 29, "clerk", {})],
             {"source": "property_office", "compound": "新立小区", "problem": "物业办转来：整栋楼不热",
              "category": "不热"}),
        Plan("complaint", 26, "yucai", [("assign", 25, "clerk", {}), ("feedback", 3, "station", fb)],
             {"compound": "育才小区", "building": "2", "problem": "暖气有异响", "category": "噪音"}),
        Plan("complaint", 50, "tanglai", [("assign", 49, "clerk", {}), ("feedback", 30, "station", fb),
                                          ("resolve", 29, "clerk", {})],
             {"compound": "唐徕小区", "building": "5", "problem": "回水管漏水", "category": "漏水"}),
        Plan("complaint", 80, "xihuan", [("assign", 79, "clerk", {}), ("feedback", 60, "station", fb),
                                         ("resolve", 59, "clerk", {}), ("callback_satisfied", 40, "station", {}),
                                         ("close", 39, "clerk", {})],
             {"compound": "西环花园", "problem": "温度偏低", "category": "不热"}),
        Plan("complaint", 24 * 7, "hubin", [("assign", 24 * 7 - 1, "clerk", {}),
                                        ("second_complaint", 20, "clerk", {"reason": "用户再次来电：仍然不热"}),
                                        ("chase", 2, "office_head", {"reason": "请今天处理完并反馈"})],
             {"compound": "湖滨花园", "building": "9", "problem": "暖气不热，已报过一次", "category": "不热"}),
        Plan("application", 20, "hubin", [], {"compound": "湖滨花园", "problem": "申请办理停供", "category": "业务申请"}),
        Plan("consultation", 5, "hubin", [("answer", 4.5, "clerk", {"reason": "已告知收费标准和缴费方式"})],
             {"problem": "咨询采暖费标准", "category": "咨询"}),
        Plan("complaint", 10, "yinhu", [("assign", 9, "clerk", {}),
                                        ("suspend", 8, "clerk", {"approved_by": "供热办 王主任",
                                                                 "reason": "用户要求赔偿，协调中"})],
             {"compound": "银湖小区", "problem": "要求赔偿装修损失", "category": "赔偿"}),
    ]  # fmt: skip


async def seed_cases(sessions: async_sessionmaker[AsyncSession], now: dt.datetime) -> int:
    """Create the demo cases (none when a demo case exists); returns how many were made."""
    async with sessions() as session:
        if await session.scalar(select(Case.id).where(Case.created_by == ACTOR).limit(1)) is not None:
            return 0
        stations = {code: (await unit_by_code(session, code)) for p in plans() for code in (p.station,)}
    made = 0
    for i, p in enumerate(plans()):
        at = now - dt.timedelta(hours=p.hours_ago)
        values = {"source": "phone", "caller_phone": CALLERS[i % len(CALLERS)], **p.fields}
        case = await create_case(sessions, NewCase(kind=p.kind, **values), actor=ACTOR, role="clerk", now=at,
                                 accept=True)  # fmt: skip
        for action, hours, role, given in p.steps:
            when = now - dt.timedelta(hours=hours)
            data = {k: v for k, v in given.items() if k != "reason"}
            unit = stations.get(p.station)
            if action == "assign" and unit is not None:
                data["station_id"] = unit.id
            actor = {"station": f"station-{p.station}", "office_head": "head-office1"}.get(role, ACTOR)
            try:
                await transition(sessions, case.id, action, actor=actor, role=role, now=when, data=data,
                                 reason=given.get("reason"))  # fmt: skip
            except CaseError as exc:  # e.g. 催办 when the calendar makes nothing overdue yet
                log.info("demo: case %d: %s skipped (%s)", case.id, action, exc.message)
        made += 1
    async with sessions() as session, session.begin():
        if await duty.on_duty(session, now) is None:
            await duty.add_shift(session, "clerk", now - dt.timedelta(hours=4), now + dt.timedelta(hours=8),
                                 note="演示值班", actor="demo", now=now)  # fmt: skip
    await Sweeper(sessions).run_once(now)  # the reminders, breaches and escalations due by now
    return made
