"""Install ``asterisk-conf/`` into a private lab run directory, with the lab's placeholder values.

Only the lines listed in :func:`substitutions` change: secrets and addresses marked as
placeholders, the listening ports (a non-standard range, so the lab clashes with nothing),
the SIP bind address (loopback only) and the directories of the sample ``asterisk.conf``.
Everything else is the shipped file, byte for byte; ``tests/live`` checks that.

    python -m lab.labconf PREFIX RUN_DIR [--base-port 35000]
"""

from __future__ import annotations

import argparse
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = ROOT / "asterisk-conf"
SOUNDS = Path("/usr/share/asterisk/sounds")  # Debian: asterisk-core-sounds-en-wav

AMI_SECRET = "lab-ami-secret"
PHONE_PASSWORDS = {"8001": "lab-8001-pw", "8002": "lab-8002-pw", "8101": "lab-8101-pw"}
VOICEMAIL_PIN = "4321"
CARRIER2_ADDRESS = "127.0.0.2"


@dataclass(frozen=True)
class Ports:
    base: int = 35000

    @property
    def sip(self) -> int:  # Asterisk's UDP transport
        return self.base + 60

    @property
    def ami(self) -> int:
        return self.base + 38

    @property
    def carrier(self) -> int:  # the carrier's SBC (sipp callers send from here)
        return self.base + 70

    def phone(self, ext: str) -> int:  # 8001 -> base+81, 8002 -> base+82, 8101 -> base+91
        return self.base + {"8001": 81, "8002": 82, "8101": 91}[ext]


@dataclass(frozen=True)
class Lab:
    prefix: Path
    run: Path
    ports: Ports

    @property
    def etc(self) -> Path:
        return self.run / "etc"

    @property
    def log(self) -> Path:
        return self.run / "log"

    @property
    def spool(self) -> Path:
        return self.run / "spool"

    @property
    def master_csv(self) -> Path:
        return self.log / "cdr-csv" / "Master.csv"

    @property
    def binary(self) -> Path:
        return self.prefix / "sbin" / "asterisk"


def substitutions(lab: Lab) -> dict[str, list[tuple[str, str]]]:
    """file -> [(shipped line, lab line)]; each shipped line must occur exactly once."""
    p, r = lab.ports, lab.run
    dirs = {
        "astcachedir": r / "cache", "astetcdir": lab.etc, "astmoddir": lab.prefix / "lib/asterisk/modules",
        "astvarlibdir": r / "lib", "astdbdir": r / "lib", "astkeydir": r / "lib",
        # the build's XML documentation (config schemas) lives there; sounds linked in by install()
        "astdatadir": lab.prefix / "var/lib/asterisk",
        "astagidir": r / "lib/agi-bin", "astspooldir": lab.spool, "astrundir": r / "run",
        "astlogdir": lab.log, "astsbindir": lab.prefix / "sbin",
    }  # fmt: skip
    shipped = {
        "astcachedir": "/var/cache/asterisk", "astetcdir": "/etc/asterisk",
        "astmoddir": "/usr/lib/asterisk/modules", "astvarlibdir": "/var/lib/asterisk",
        "astdbdir": "/var/lib/asterisk", "astkeydir": "/var/lib/asterisk", "astdatadir": "/var/lib/asterisk",
        "astagidir": "/var/lib/asterisk/agi-bin", "astspooldir": "/var/spool/asterisk",
        "astrundir": "/var/run/asterisk", "astlogdir": "/var/log/asterisk", "astsbindir": "/usr/sbin",
    }  # fmt: skip
    pw = PHONE_PASSWORDS
    return {
        "asterisk.conf": [(f"{k} => {shipped[k]}", f"{k} => {v}") for k, v in dirs.items()],
        "manager.conf": [
            ("port = 5038", f"port = {p.ami}"),
            ("secret = CHANGE_ME_callcenter_ami_secret", f"secret = {AMI_SECRET}"),
        ],
        "pjsip.conf": [
            ("bind = 0.0.0.0:5060", f"bind = 127.0.0.1:{p.sip}"),
            ("contact = sip:sbc.carrier.example:5060", f"contact = sip:127.0.0.1:{p.carrier}"),
            # the carrier's first SBC and the phones all send from 127.0.0.1: the source port tells
            # them apart; the second SBC is a whole loopback address (concurrent callers, any port)
            ("match = 203.0.113.10", f"match = 127.0.0.1:{p.carrier}"),
            ("match = 203.0.113.11", f"match = {CARRIER2_ADDRESS}"),
            ("username = CHANGE_ME_carrier_account", "username = lab-carrier"),
            ("password = CHANGE_ME_carrier_password", "password = lab-carrier-pw"),
            ("password = CHANGE_ME_8001_password", f"password = {pw['8001']}"),
            ("password = CHANGE_ME_8002_password", f"password = {pw['8002']}"),
            ("password = CHANGE_ME_8101_password", f"password = {pw['8101']}"),
        ],
        "voicemail.conf": [
            ("6085708 => CHANGE_ME,", f"6085708 => {VOICEMAIL_PIN},"),
        ],
    }


def render(name: str, text: str, lab: Lab) -> str:
    for old, new in substitutions(lab).get(name, []):
        lines = text.split("\n")
        hits = [i for i, line in enumerate(lines) if line.startswith(old)]
        if len(hits) != 1:
            raise ValueError(f"{name}: expected one line starting {old!r}, found {len(hits)}")
        lines[hits[0]] = new + lines[hits[0]][len(old):]
        text = "\n".join(lines)
    return text


def install(lab: Lab) -> None:
    """(Re)create the run directory: config, empty state, the cdr-csv folder, the prompts."""
    if lab.run.exists():
        shutil.rmtree(lab.run)
    for sub in ("etc", "cache", "lib", "lib/agi-bin", "run", "log/cdr-csv", "log/cel-custom", "spool"):
        (lab.run / sub).mkdir(parents=True, exist_ok=True)
    for src in sorted(CONF_DIR.glob("*.conf")):
        (lab.etc / src.name).write_text(render(src.name, src.read_text(), lab))
    sounds = lab.prefix / "var/lib/asterisk/sounds"  # the build made it, without sounds
    sounds.mkdir(parents=True, exist_ok=True)
    for lang in sorted(SOUNDS.iterdir()) if SOUNDS.is_dir() else []:
        if not (sounds / lang.name).exists():
            os.symlink(lang, sounds / lang.name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lab.labconf", description=__doc__.splitlines()[0])
    ap.add_argument("prefix", type=Path)
    ap.add_argument("run", type=Path)
    ap.add_argument("--base-port", type=int, default=35000)
    a = ap.parse_args(argv)
    lab = Lab(a.prefix.resolve(), a.run.resolve(), Ports(a.base_port))
    install(lab)
    print(f"installed {CONF_DIR} into {lab.etc} (SIP 127.0.0.1:{lab.ports.sip}, AMI {lab.ports.ami})")
    print(f"start: {lab.binary} -C {lab.etc / 'asterisk.conf'} -f")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
