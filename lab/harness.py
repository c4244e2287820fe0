"""The lab at run time: a real Asterisk from a built prefix, sipp phones and callers, the service.

Everything listens on 127.0.0.1 in the port range of :class:`lab.labconf.Ports` and keeps
its files in one private run directory. Every process started here is bounded (``timeout``)
and is stopped by :meth:`Lab.close`, by its own pid.
"""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lab import labconf

SIPP_DIR = Path(__file__).resolve().parent / "sipp"
ROOT = labconf.ROOT
MAX_LIFETIME = 900  # seconds any process started here may live at most


def wait_for(predicate: Callable[[], object], timeout: float, what: str, step: float = 0.2) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"lab: timed out after {timeout} s waiting for {what}")
        time.sleep(step)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Pbx:
    lab: labconf.Lab
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        labconf.install(self.lab)
        with (self.lab.run / "console.txt").open("ab") as out:
            self.proc = subprocess.Popen(
                ["timeout", "-s", "KILL", str(MAX_LIFETIME), str(self.lab.binary), "-C",
                 str(self.lab.etc / "asterisk.conf"), "-f", "-n", "-q"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=self.lab.run,
            )  # fmt: skip
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        wait_for(lambda: port_open(self.lab.ports.ami), timeout, "Asterisk's AMI port")
        wait_for(lambda: "fully booted" in self.cli("core waitfullybooted").lower(), timeout, "Asterisk fully booted")

    def cli(self, command: str, timeout: float = 20) -> str:
        done = subprocess.run(
            [str(self.lab.binary), "-C", str(self.lab.etc / "asterisk.conf"), "-rx", command],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        return done.stdout + done.stderr

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.cli("core stop now", timeout=10)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def master_rows(self) -> list[dict[str, str]]:
        path = self.lab.master_csv
        if not path.exists():
            return []
        from callcenter.ami.cdr import MASTER_COLUMNS

        return [dict(zip(MASTER_COLUMNS, values)) for values in csv.reader(io.StringIO(path.read_text()))
                if values]  # fmt: skip

    def log_lines(self, name: str = "messages.log") -> list[str]:
        path = self.lab.log / name
        return path.read_text(errors="replace").splitlines() if path.exists() else []


def media_port(lab: labconf.Lab, sip_port: int) -> int:
    """RTP ports of a phone's sipp (it takes three from here), inside the lab's port range."""
    return lab.ports.base + 400 + 10 * (sip_port - lab.ports.base - 80)


def render(scenario: str, run: Path, **values: str) -> Path:
    """A sipp scenario with its @NAME@ values filled in, written into the run directory."""
    text = (SIPP_DIR / scenario).read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    unfilled = sorted(set(re.findall(r"@[A-Z_]+@", text)))
    if unfilled:
        raise ValueError(f"{scenario}: no value for {', '.join(unfilled)}")
    tag = "_".join(f"{k}{v}" for k, v in sorted(values.items()) if len(v) < 12) or "plain"
    out = run / "sipp" / f"{scenario[:-4]}-{tag}.xml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return out


@dataclass
class Phone:
    """A clerk's or station's phone: registers with digest auth, then a sipp UAS on its port."""

    lab: labconf.Lab
    ext: str
    proc: subprocess.Popen[bytes] | None = None
    serving: tuple[str, dict[str, str]] | None = None

    @property
    def port(self) -> int:
        return self.lab.ports.phone(self.ext)

    def _sipp(self, scenario: Path, *extra: str) -> list[str]:
        return ["timeout", "-s", "KILL", str(MAX_LIFETIME), "sipp", "-sf", str(scenario), "-i", "127.0.0.1",
                "-p", str(self.port), "-mp", str(media_port(self.lab, self.port)), "-s", self.ext, "-nostdin",
                "-trace_err", *extra]  # fmt: skip

    def register(self, expires: int = 3600) -> None:
        """(Un)register from the phone's port; a running UAS is stopped for it and restarted after."""
        serving = self.serving
        self.stop()
        scenario = SIPP_DIR / "register.xml"
        done = subprocess.run(
            [*self._sipp(scenario, "-au", self.ext, "-ap", labconf.PHONE_PASSWORDS[self.ext], "-key", "expires",
                         str(expires), "-m", "1", "-timeout", "10s", "-timeout_error"),
             f"127.0.0.1:{self.lab.ports.sip}"],
            cwd=self.lab.run / "sipp", capture_output=True, timeout=20, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"phone {self.ext}: REGISTER failed (sipp exit {done.returncode})")
        if serving is not None and expires > 0:
            self.serve(serving[0], **serving[1])

    def serve(self, scenario: str, *extra: str, **values: str) -> None:
        """Run the phone (UAS) with this behaviour until stop(); answers qualify OPTIONS (-aa)."""
        self.stop()
        self.serving = (scenario, values)
        path = render(scenario, self.lab.run, **values)
        with (self.lab.run / "sipp" / f"phone-{self.ext}.out").open("ab") as log:
            self.proc = subprocess.Popen([*self._sipp(path, "-aa", "-bind_local", *extra)], cwd=self.lab.run / "sipp",
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        time.sleep(0.3)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
            self.proc = None
            self.serving = None


def consult(lab: labconf.Lab, dialog_file: Path, target: str = "8101", consult_ms: int = 2000) -> int:
    """Clerk 8001's consultation call to ``target`` that completes an attended transfer of the
    call phone_dialog.xml answered (REFER with Replaces). Returns sipp's exit status."""
    from urllib.parse import quote

    call_id, pbx_tag, phone_tag = dialog_file.read_text().splitlines()[-1].split()
    pbx_tag = pbx_tag.removeprefix("tag=")
    # Replaces names the first call as Asterisk sees it: its tag is the local (to-) tag
    replaces = quote(f"{call_id};to-tag={pbx_tag};from-tag={phone_tag}", safe="")
    path = render("consult.xml", lab.run, CONSULT_MS=str(consult_ms), REPLACES=replaces)
    port = lab.ports.phone("8001") + 4
    cmd = ["timeout", "-s", "KILL", "120", "sipp", f"127.0.0.1:{lab.ports.sip}", "-sf", str(path), "-s", target,
           "-i", "127.0.0.1", "-p", str(port), "-mp", str(media_port(lab, port)), "-au", "8001", "-ap",
           labconf.PHONE_PASSWORDS["8001"], "-m", "1", "-nostdin", "-trace_err", "-timeout", "90s"]  # fmt: skip
    with (lab.run / "sipp" / "consult.out").open("ab") as log:
        return subprocess.run(cmd, cwd=lab.run / "sipp", stdin=subprocess.DEVNULL, stdout=log,
                              stderr=subprocess.STDOUT, timeout=130, check=False).returncode  # fmt: skip


@dataclass
class Caller:
    """One call from the carrier trunk (sipp UAC on the carrier's port)."""

    lab: labconf.Lab
    name: str
    number: str
    port_offset: int = 0  # concurrent callers: the carrier sends from one port, sipp needs one each
    proc: subprocess.Popen[bytes] | None = None

    def start(self, scenario: str = "caller.xml", *, talk_ms: int = 5000, ring_ms: int = 0,
              audio: Path | None = None) -> Caller:  # fmt: skip
        exec_ = f'<nop><action><exec rtp_stream="{audio},1,8"/></action></nop>' if audio else ""
        values = {"TALK_MS": str(talk_ms), "AUDIO_EXEC": exec_} if scenario == "caller.xml" else {"RING_MS": str(ring_ms)}
        path = render(scenario, self.lab.run, **values)
        # the first SBC is 127.0.0.1:<carrier port>; concurrent callers come from the second
        # (a whole loopback address), one sipp port each
        ip = "127.0.0.1" if self.port_offset == 0 else labconf.CARRIER2_ADDRESS
        port = self.lab.ports.carrier + self.port_offset
        media = self.lab.ports.base + 200 + 10 * self.port_offset
        cmd = ["timeout", "-s", "KILL", "300", "sipp", f"127.0.0.1:{self.lab.ports.sip}", "-sf", str(path),
               "-s", "6085708", "-i", ip, "-p", str(port), "-mp", str(media), "-m", "1", "-nostdin",
               "-key", "cid_name", self.name, "-key", "cid_num", self.number, "-trace_err",
               "-timeout", "200s"]  # fmt: skip
        with (self.lab.run / "sipp" / "callers.out").open("ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.lab.run / "sipp", stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)  # fmt: skip
        return self

    def wait(self, timeout: float = 240) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)


@dataclass
class Service:
    """``callcenter serve`` against the lab PBX, with its own SQLite database."""

    lab: labconf.Lab
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def create(cls, lab: labconf.Lab, *, cdr_timezone: str = "UTC", vosk_model: Path | None = None) -> Service:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
        env.update({
            "PYTHONPATH": str(ROOT),
            "CALLCENTER_DATABASE_URL": f"sqlite+aiosqlite:///{lab.run / 'callcenter.sqlite3'}",
            "CALLCENTER_AMI_HOST": "127.0.0.1",
            "CALLCENTER_AMI_PORT": str(lab.ports.ami),
            "CALLCENTER_AMI_USERNAME": "callcenter",
            "CALLCENTER_AMI_SECRET": labconf.AMI_SECRET,
            "CALLCENTER_AMI_RECONNECT_MIN": "1",
            "CALLCENTER_AMI_RECONNECT_MAX": "2",
            "CALLCENTER_SPOOL_DIR": str(lab.spool / "voicemail"),
            "CALLCENTER_CDR_CSV": str(lab.master_csv),
            "CALLCENTER_CDR_TIMEZONE": cdr_timezone,
            "CALLCENTER_HTTP_PORT": str(lab.ports.base + 80),
            "CALLCENTER_TRANSCRIBE_WORKERS": "1",
        })  # fmt: skip
        if vosk_model is not None:
            env["CALLCENTER_VOSK_MODEL"] = str(vosk_model)
        return cls(lab, env)

    def cli(self, *args: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "callcenter", *args], env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=timeout, check=False, cwd=self.lab.run)  # fmt: skip

    def start(self) -> None:
        self.lab.spool.joinpath("voicemail").mkdir(parents=True, exist_ok=True)
        done = self.cli("db", "upgrade")
        if done.returncode != 0:
            raise RuntimeError(f"callcenter db upgrade failed: {done.stderr[-2000:]}")
        with (self.lab.run / "service.log").open("ab") as log:
            self.proc = subprocess.Popen(
                ["timeout", "-s", "KILL", str(MAX_LIFETIME), sys.executable, "-m", "callcenter", "serve"],
                env=self.env, cwd=self.lab.run, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_for(lambda: port_open(self.lab.ports.base + 80), 60, "the service's web port")

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc is not None:
            # timeout(1) runs the service as its child: kill the service itself, then the wrapper
            for pid in _children(self.proc.pid):
                os.kill(pid, signal.SIGKILL)
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)  # timeout(1) passes it on
                try:
                    self.proc.wait(30)
                except subprocess.TimeoutExpired:
                    self.kill()
            self.proc = None

    def log_text(self) -> str:
        path = self.lab.run / "service.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]
