"""The directory cases refer to: units (heating offices, stations, departments) and people.

:func:`seed_demo` loads the organisation named in the rule book (two heating management
offices and their stations, the business department, the property office) with demo people;
it is idempotent (keyed by ``code`` / ``login``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.tickets.models import Person, Unit

OFFICES = (
    ("office1", "第一供热管理所", "First Heating Management Office", "6735547",
     (("hubin", "湖滨供热站", "Hubin"), ("beiyuan", "北苑供热站", "Beiyuan"),
      ("renyi", "仁义供热站", "Renyi"), ("xinli", "新立供热站", "Xinli"),
      ("yucai", "育才供热站", "Yucai"))),
    ("office2", "第二供热管理所", "Second Heating Management Office", "6088794",
     (("tanglai", "唐徕供热站", "Tanglai"), ("xihuan", "西环供热站", "Xihuan"),
      ("yinhu", "银湖供热站", "Yinhu"))),
)  # fmt: skip
OTHER_UNITS = (
    ("business", "department", "经营科", "Business Department", "6085708"),
    ("property_office", "property_office", "物业办", "Property Office", "6188100, 6083463"),
    ("head_company", "head_company", "总公司", "Head Company", ""),
    ("heating_office", "heating_office", "供热办", "Heating Office", ""),
)
DEMO_PEOPLE = (
    # login, name, role, unit code
    ("8001", "王敏", "clerk", "business"),
    ("8002", "李娜", "clerk", "business"),
    ("8101", "赵强", "duty", "business"),
    ("head-business", "刘建国", "department_head", "business"),
    ("manager", "陈志远", "manager", "business"),
    ("head-office1", "马文", "office_head", "office1"),
    ("head-office2", "杨帆", "office_head", "office2"),
)


@dataclass(frozen=True)
class Assignment:
    """Who a case goes to when it is assigned to a station."""

    station_id: int
    responsible_person_id: int | None
    office_head_id: int | None


async def seed_demo(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Insert the demo organisation where missing; returns the number of rows added."""
    added = 0
    async with sessions() as session, session.begin():
        units = {u.code: u for u in (await session.scalars(select(Unit))).all()}
        people = set((await session.scalars(select(Person.login))).all())

        def unit(code: str, kind: str, zh: str, en: str, phone: str, parent: Unit | None) -> Unit:
            nonlocal added
            if code not in units:
                units[code] = Unit(code=code, kind=kind, name_zh=zh, name_en=en, phone=phone,
                                   parent_id=parent.id if parent else None)  # fmt: skip
                session.add(units[code])
                added += 1
            return units[code]

        for code, zh, en, phone, stations in OFFICES:
            office = unit(code, "office", zh, en, phone, None)
            await session.flush()
            for scode, szh, sen in stations:
                unit(scode, "station", szh, f"{sen} Station", "", office)
        for code, kind, zh, en, phone in OTHER_UNITS:
            unit(code, kind, zh, en, phone, None)
        await session.flush()
        demo = list(DEMO_PEOPLE) + [
            (f"station-{s[0]}", f"{s[1][:2]}站长", "station", s[0]) for o in OFFICES for s in o[4]
        ]
        for login, name, role, code in demo:
            if login not in people:
                session.add(Person(login=login, name=name, role=role, unit_id=units[code].id))
                added += 1
    return added


async def list_units(session: AsyncSession, kind: str | None = None) -> list[Unit]:
    stmt = select(Unit).order_by(Unit.id)
    if kind:
        stmt = stmt.where(Unit.kind == kind)
    return list((await session.scalars(stmt)).all())


async def list_people(
    session: AsyncSession, *, role: str | None = None, unit_id: int | None = None, inactive: bool = False
) -> list[Person]:
    """People in the directory (the active ones; ``inactive``: the retired ones too)."""
    stmt = select(Person).order_by(Person.id)
    if not inactive:
        stmt = stmt.where(Person.active.is_(True))
    if role:
        stmt = stmt.where(Person.role == role)
    if unit_id is not None:
        stmt = stmt.where(Person.unit_id == unit_id)
    return list((await session.scalars(stmt)).all())


async def unit_by_code(session: AsyncSession, code: str) -> Unit | None:
    return await session.scalar(select(Unit).where(Unit.code == code))


async def person_by_login(session: AsyncSession, login: str) -> Person | None:
    return await session.scalar(select(Person).where(Person.login == login))


async def assignment_for(session: AsyncSession, station_id: int) -> Assignment:
    """The station's responsible person and its heating office's head (抄送所长)."""
    station = await session.get(Unit, station_id)
    if station is None or station.kind != "station":
        raise LookupError(f"no station with id {station_id}")
    if not station.active:
        raise LookupError(f"station {station.code!r} is deactivated: choose an active station")
    person = await session.scalar(
        select(Person.id).where(Person.unit_id == station_id, Person.role == "station", Person.active.is_(True))
        .order_by(Person.id).limit(1)
    )  # fmt: skip
    head = None
    if station.parent_id is not None:
        head = await session.scalar(
            select(Person.id).where(Person.unit_id == station.parent_id, Person.role == "office_head",
                                    Person.active.is_(True))
            .order_by(Person.id).limit(1)
        )  # fmt: skip
    return Assignment(station_id, person, head)
