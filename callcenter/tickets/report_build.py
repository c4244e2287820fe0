"""The reports R1 (weekly), R2 (monthly by the 20th), R3 (property office by the 23rd).

:func:`build_report` gathers the figures of one report instance (its period from
:func:`~callcenter.tickets.reports.report_period`) into sections; :func:`write_report` writes
them as Excel (one sheet per section) or CSV (sections one after another, UTF-8 with BOM so
Excel reads the Chinese), in the language asked for (:mod:`callcenter.tickets.report_words`;
Chinese by default). Definitions:

* cases of the report's kinds *accepted* in the period, by kind, category and station;
* on-time completion rate (按期办结率): of the cases resolved in the period, the share with no
  clock (other than the callback D8 and the escalation ESC) late or overdue at resolution;
* overdue clocks: stopped late in the period, or still running and past due at the period's
  end (or now, if earlier) — with the responsible person, and how late in hours;
* callback rate (回访率, target 100 %): of the resolved cases that need a callback (D8),
  the share called back;
* second complaints (二次投诉) filed in the period; calls by every outcome the call log knows
  (answered, abandoned, voicemail, busy = no clerk available, failed; and in progress, if any): they add up to the
  calls of the period.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import column, func, select, table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.models import Call
from callcenter.tickets.calendar import DEFAULT_TZ
from callcenter.tickets.clocks import ESC
from callcenter.tickets.controls import cell_text, formula_safe
from callcenter.tickets.models import Case, CaseDeadline, CaseEvent, Person, Unit
from callcenter.tickets.report_words import language, word
from callcenter.tickets.reports import report_period
from callcenter.tickets.rulefile import load_rules
from callcenter.tickets.ruleset import RuleBook
from callcenter.tickets.workflow import CALLBACK_KINDS

# Every outcome the call log records (callcenter.ami.calls); a report lists them all.
OUTCOMES = ("answered", "abandoned", "voicemail", "busy", "failed")

NAMES = {"weekly": "R1", "monthly": "R2", "property-office": "R3"}


CALL_REPORTS = ("R1", "R2")  # the weekly and monthly reports


@dataclass
class Section:
    name: str  # stable key: summary, by_kind, …
    title: str  # in the report's language (the sheet's name)
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # the summary's figure keys, row by row


@dataclass
class ReportDoc:
    report_id: str
    title_zh: str
    title_en: str
    period: tuple[dt.date, dt.date]
    generated_at: dt.datetime
    sections: list[Section]
    lang: str = "zh"

    def section(self, name: str) -> Section:
        return next(s for s in self.sections if s.name == name)

    def figures(self) -> dict[str, Any]:
        """The summary by figure key (``accepted``, ``calls.busy`` …), whatever the language."""
        summary = self.section("summary")
        return {k: row[1] for k, row in zip(summary.keys, summary.rows, strict=True)}

    @property
    def title(self) -> str:
        return self.title_en if self.lang == "en" else self.title_zh


def rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


async def build_report(
    sessions: async_sessionmaker[AsyncSession], report_id: str, anchor: dt.date, *, now: dt.datetime,
    book: RuleBook | None = None, tz: str = DEFAULT_TZ, lang: str = "zh", kpi_settings: Any = None,
) -> ReportDoc:  # fmt: skip
    book = book or load_rules()
    lang = language(lang)
    rep = book.reports[report_id]
    first, last = report_period(rep, anchor)
    zone = ZoneInfo(tz)
    lo = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    async with sessions() as session:
        ctx = _Ctx(session, rep.kinds, lo, hi, min(hi, now), zone, lang)
        sections = [await ctx.summary(), *await ctx.breakdowns(), await ctx.overdue(), await ctx.second(),
                    await ctx.chased()]
        if report_id in CALL_REPORTS:  # the weekly and monthly reports want the hotline's call figures
            sections += await ctx.queue(first, last, kpi_settings)
    return ReportDoc(report_id, rep.title_zh, rep.title_en, (first, last), now, sections, lang)


@dataclass
class _Ctx:
    session: AsyncSession
    kinds: tuple[str, ...]
    lo: dt.datetime
    hi: dt.datetime
    as_of: dt.datetime
    zone: ZoneInfo
    lang: str = "zh"

    def w(self, key: str) -> str:
        return word(self.lang, key)

    def section(self, name: str, columns: tuple[str, ...], rows: list[list[Any]]) -> Section:
        return Section(name, self.w("section." + name), [self.w("col." + c) for c in columns], rows)

    def kind(self, kind: str) -> str:
        return self.w("kind." + kind)

    def local(self, moment: dt.datetime | None) -> str:
        return "" if moment is None else moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    async def names(self) -> dict[str, str]:
        """Logins, usernames and extensions → the person's name (the directory, the panel's accounts)."""
        out = {p.login: p.name for p in (await self.session.scalars(select(Person))).all()}
        users = table("users", column("username"), column("display_name"), column("extension"))
        for username, name, ext in (await self.session.execute(select(users))).all():
            if name:
                out[username] = name
                if ext:
                    out[ext] = name
        return out

    def clerk(self, extension: str, names: dict[str, str]) -> str:
        """王丽（8001）; an extension nobody is known by stays a number."""
        name = names.get(extension)
        return word(self.lang, "who.with_ext", name=name, ext=extension) if name else extension

    def actor(self, actor: str, names: dict[str, str]) -> str:
        if actor.startswith("system"):
            return self.w("actor." + actor) if actor in ("system", "system:voicemail") else self.w("actor.system")
        return names.get(actor, actor)

    async def _cases(self, column: Any) -> list[Case]:
        stmt = select(Case).where(Case.kind.in_(self.kinds), column >= self.lo, column < self.hi)
        return list((await self.session.scalars(stmt.order_by(Case.id))).all())

    async def summary(self) -> Section:
        accepted = await self._cases(Case.accepted_at)
        resolved = await self._cases(Case.resolved_at)
        late_ids = await self._late_at_resolution(resolved)
        on_time = sum(1 for c in resolved if c.id not in late_ids)
        need_cb = [c for c in resolved if c.kind in CALLBACK_KINDS]
        called = sum(1 for c in need_cb if c.callback_at is not None)
        seconds = await self._events(("second_complaint",))
        chases = await self._events(("chase",))
        escalations = await self._events(("escalate", "escalate_manual"))
        calls = Counter(dict((await self.session.execute(
            select(Call.disposition, func.count()).where(Call.started_at >= self.lo, Call.started_at < self.hi)
            .group_by(Call.disposition))).all()))  # fmt: skip
        figures: list[tuple[str, Any]] = [
            ("accepted", len(accepted)), ("resolved", len(resolved)), ("on_time", on_time),
            ("on_time_rate", rate(on_time, len(resolved))), ("need_callback", len(need_cb)),
            ("called_back", called), ("callback_rate", rate(called, len(need_cb))),
            ("second", seconds), ("chases", chases), ("escalations", escalations), ("calls", sum(calls.values())),
            *((f"calls.{o}", calls.get(o, 0)) for o in OUTCOMES),
        ]  # fmt: skip
        if calls.get(None):  # still in progress when the report was made
            figures.append(("calls.open", calls[None]))
        section = self.section("summary", ("figure", "value"), [[self.w("fig." + k), v] for k, v in figures])
        section.keys = [k for k, _ in figures]
        return section

    async def _events(self, actions: tuple[str, ...]) -> int:
        """How many of these workflow actions were done in the period on the report's kinds."""
        return int(await self.session.scalar(
            select(func.count()).select_from(CaseEvent).join(Case, Case.id == CaseEvent.case_id)
            .where(CaseEvent.action.in_(actions), Case.kind.in_(self.kinds),
                   CaseEvent.at >= self.lo, CaseEvent.at < self.hi)) or 0)  # fmt: skip

    async def queue(self, first: dt.date, last: dt.date, settings: Any) -> list[Section]:
        """The queue and clerk figures of the period (definitions: :mod:`callcenter.analytics.kpi`)."""
        from callcenter.analytics.kpi import call_figures

        f = await call_figures(self.session, first, last, self.zone, settings)
        sl, short = f["service_level_seconds"], f["short_abandon_seconds"]
        n_sl, n_short = f"{sl:g}", f"{short:g}"
        keys = ("offered", "answered", "answered_in_sl", "service_level", "asa", "aht", "abandoned", "abandoned_queue",
                "abandoned_ringing", "abandoned_voicemail", "short_abandons", "abandon_rate", "voicemail", "busy",
                "failed", "longest_wait")  # fmt: skip
        rows: list[list[Any]] = []
        for key in keys:
            n = n_short if key == "short_abandons" else n_sl
            rows.append([word(self.lang, "q." + key, n=n), f[key]])
        rows += [[word(self.lang, "q.wait", label=label), count] for label, count in f["waits"].items()]
        names = await self.names()
        clerks = [[self.clerk(c["extension"], names), c["answered"], c["talk_seconds"], c["aht"], c["missed_rings"],
                   c["cases_opened"]] for c in f["clerks"]]  # fmt: skip
        return [self.section("queue", ("figure", "value"), rows),
                self.section("clerks", ("clerk", "answered", "talk_seconds", "aht", "missed_rings",
                                        "cases_opened"), clerks)]  # fmt: skip

    async def chased(self) -> Section:
        """催办 and 逐级上报 in the period: which case, when, by whom, what was said."""
        stmt = (select(CaseEvent).join(Case, Case.id == CaseEvent.case_id)
                .where(CaseEvent.action.in_(("chase", "escalate_manual")), Case.kind.in_(self.kinds),
                       CaseEvent.at >= self.lo, CaseEvent.at < self.hi).order_by(CaseEvent.at, CaseEvent.id))  # fmt: skip
        names = await self.names()
        rows = [[e.case_id, self.local(e.at), self.actor(e.actor, names), self.w("action." + e.action), e.reason or ""]
                for e in (await self.session.scalars(stmt)).all()]  # fmt: skip
        return self.section("chases", ("case", "at", "by", "kind", "note"), rows)

    async def _late_at_resolution(self, resolved: list[Case]) -> set[int]:
        if not resolved:
            return set()
        when = {c.id: c.resolved_at for c in resolved}
        stmt = select(CaseDeadline).where(CaseDeadline.case_id.in_(when), CaseDeadline.rule_id.notin_(("D8", ESC)))
        late = set()
        for d in (await self.session.scalars(stmt)).all():
            at = when[d.case_id]
            assert at is not None
            if d.state == "late" or (d.stopped_at is None or d.stopped_at > at) and d.due_at < at:
                late.add(d.case_id)
        return late

    async def breakdowns(self) -> list[Section]:
        accepted = await self._cases(Case.accepted_at)
        stations = await self.station_names()
        by_kind = Counter(c.kind for c in accepted)
        by_cat = Counter(c.category or self.w("none.category") for c in accepted)
        by_station = Counter(stations.get(c.station_id, self.w("none.station")) for c in accepted)
        return [
            self.section("by_kind", ("kind", "cases"), [[self.kind(k), n] for k, n in sorted(by_kind.items())]),
            self.section("by_category", ("category", "cases"), [[k, n] for k, n in sorted(by_cat.items())]),
            self.section("by_station", ("station", "cases"), [[k, n] for k, n in sorted(by_station.items())]),
        ]  # fmt: skip

    async def station_names(self) -> dict[int, str]:
        rows = (await self.session.execute(select(Unit.id, Unit.name_zh, Unit.name_en))).all()
        return {i: (en or zh) if self.lang == "en" else zh for i, zh, en in rows}

    async def overdue(self) -> Section:
        stopped_late = (CaseDeadline.state == "late") & (CaseDeadline.stopped_at >= self.lo) & (
            CaseDeadline.stopped_at < self.hi)
        running_late = CaseDeadline.stopped_at.is_(None) & (CaseDeadline.due_at < self.as_of)
        stmt = (
            select(CaseDeadline, Case, Person.name)
            .join(Case, Case.id == CaseDeadline.case_id)
            .outerjoin(Person, Person.id == Case.responsible_person_id)
            .where(Case.kind.in_(self.kinds), stopped_late | running_late)
            .order_by(CaseDeadline.due_at, CaseDeadline.id)
        )  # fmt: skip
        rows = []
        stations = await self.station_names()
        for d, case, person in (await self.session.execute(stmt)).all():
            end = d.stopped_at or self.as_of
            hours = round((end - d.due_at).total_seconds() / 3600, 1)
            rows.append([case.id, self.kind(case.kind), d.rule_id, stations.get(case.station_id, ""),
                         person or "", self.local(d.due_at), self.local(d.stopped_at) or self.w("open"), hours])  # fmt: skip
        return self.section("overdue", ("case", "kind", "rule", "station", "person", "due", "done", "hours_late"), rows)

    async def second(self) -> Section:
        stmt = (
            select(CaseEvent.case_id, func.count(), func.min(CaseEvent.at))
            .join(Case, Case.id == CaseEvent.case_id)
            .where(CaseEvent.action == "second_complaint", Case.kind.in_(self.kinds),
                   CaseEvent.at >= self.lo, CaseEvent.at < self.hi)
            .group_by(CaseEvent.case_id).order_by(CaseEvent.case_id)
        )  # fmt: skip
        rows = []
        for case_id, count, first in (await self.session.execute(stmt)).all():
            case = await self.session.get(Case, case_id)
            assert case is not None
            rows.append([case_id, case.caller_phone, count, self.local(first), case.escalation_level,
                         self.w("state." + case.state)])  # fmt: skip
        return self.section("second_complaints", ("case", "phone", "count", "first", "level", "state"), rows)


def write_report(doc: ReportDoc, path: Path) -> Path:
    """Write ``doc`` as .xlsx or .csv, chosen by the file's extension."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx(doc, path)
    elif suffix == ".csv":
        _write_csv(doc, path)
    else:
        raise ValueError(f"{path}: unknown report format {suffix or '(none)'}; use .xlsx or .csv")
    return path


def _title(doc: ReportDoc) -> str:
    return word(doc.lang, "title", id=doc.report_id, title=doc.title, first=doc.period[0], last=doc.period[1])


def _write_xlsx(doc: ReportDoc, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for section in doc.sections:
        sheet = book.create_sheet(_sheet_title(section.title))
        _append(sheet, [_title(doc)])
        _append(sheet, section.headers)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in section.rows:
            _append(sheet, row)
        for i, header in enumerate(section.headers, start=1):
            sheet.column_dimensions[sheet.cell(2, i).column_letter].width = max(12, len(header) + 4)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def _sheet_title(name: str) -> str:
    """A valid sheet name: no ``[]:*?/\\``, at most 31 characters."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in cell_text(name))
    return clean[:31] or "sheet"


def _append(sheet: Any, values: list[Any]) -> None:
    """Append a row; text is written as text (never as a formula), control characters replaced."""
    sheet.append([cell_text(v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    return formula_safe(cell_text(value)) if isinstance(value, str) else value


def _write_csv(doc: ReportDoc, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([_csv_value(_title(doc))])
        for section in doc.sections:
            writer.writerow([])
            writer.writerow([f"[{_csv_value(section.title)}]"])
            writer.writerow([_csv_value(h) for h in section.headers])
            writer.writerows([[_csv_value(v) for v in row] for row in section.rows])
