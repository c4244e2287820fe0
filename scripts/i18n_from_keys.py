#!/usr/bin/env python3
"""Convert the panel's old key-based string dicts (``ZH``/``EN`` in ``callcenter/web/**/strings*.py``)
into gettext: English msgids, the ``zh_CN`` catalog, vocabularies and page-script tables.

Re-runnable and idempotent. Each run:

1. reads every module under ``callcenter/web`` that still defines both ``ZH`` and ``EN`` dicts
   (imported, so ``ZH.update(...)`` tricks count), i.e. the keys not converted yet;
2. gives each key its msgid (the English text, ``{name}`` → ``%(name)s``) and, when the same
   English needs another Chinese than the catalog (or the group's majority) already has, a
   message context (the old key);
3. rewrites the call sites: ``_('key'…)`` in templates and Python → ``_('English'…)`` or
   ``pgettext('ctx', 'English'…)``; ``_('prefix.' ~ x…)`` in templates → ``word('prefix', x…)``;
4. adds the keys of a vocabulary prefix (``disp.``, ``kind.``, …) to that vocabulary's table and
   the keys a page script needs to its ``JS_STRINGS`` table (the feature's ``words.py``);
5. adds the entries to ``callcenter/locale/{zh_CN,en}/LC_MESSAGES/messages.po``;
6. deletes a ``strings*.py`` module whose keys are all converted (another module that still holds
   ``ZH``/``EN`` is reported: remove the dicts by hand);
7. runs ``scripts/i18n.sh extract update compile``, then reports what it did and any ``_('a.b')``
   call that names a key it does not know.

Run: ``/work/main/.venv/bin/python scripts/i18n_from_keys.py`` from the repository root
(``--dry-run`` only reports).
"""

from __future__ import annotations

import argparse
import ast
import collections
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "callcenter" / "web"
LOCALE = ROOT / "callcenter" / "locale"

# Vocabulary prefix → the feature module holding its table (and the table's members when they are
# not simply "every key with this prefix and no further dot").
VOCAB_HOME: dict[str, str] = {
    "lang": "callcenter/web/words.py", "error": "callcenter/web/words.py", "nav": "callcenter/web/words.py",
    "disp": "callcenter/web/calls/words.py", "stage": "callcenter/web/calls/words.py",
    "cat": "callcenter/web/calls/words.py", "tl": "callcenter/web/calls/words.py",
    "legrole": "callcenter/web/calls/words.py", "notes": "callcenter/web/calls/words.py",
    "detail.source": "callcenter/web/calls/words.py",
    "kind": "callcenter/web/cases/words.py", "state": "callcenter/web/cases/words.py",
    "severity": "callcenter/web/cases/words.py", "source": "callcenter/web/cases/words.py",
    "action": "callcenter/web/cases/words.py", "cb": "callcenter/web/cases/words.py",
    "dl": "callcenter/web/cases/words.py", "in": "callcenter/web/cases/words.py",
    "in.reason": "callcenter/web/cases/words.py", "tl.call": "callcenter/web/cases/words.py",
    "notice": "callcenter/web/cases/words.py", "wrole": "callcenter/web/cases/words.py",
    "field": "callcenter/web/cases/words.py", "vm": "callcenter/web/drafts/words.py",
    "role": "callcenter/web/auth/words.py",
    "lim": "callcenter/web/admin/words.py", "ex": "callcenter/web/admin/words.py",
    "ukind": "callcenter/web/admin/words.py", "cal.st": "callcenter/web/admin/words.py",
    "cal.src": "callcenter/web/admin/words.py",
    "au.e": "callcenter/web/audit/words.py",
    "clerk": "callcenter/web/wallboard/words.py", "clerk.offline": "callcenter/web/wallboard/words.py",
    "qr.group": "callcenter/web/wallboard/words.py", "wd": "callcenter/web/wallboard/words.py",
    "nt.role": "callcenter/web/notices/words.py",
    "cal.bulk.e": "callcenter/web/admin/words.py", "cal.bulk.ch": "callcenter/web/admin/words.py",
    "cal.bulk.w": "callcenter/web/admin/words.py",
    "ctl": "callcenter/web/calls/words.py", "ctl.why": "callcenter/web/calls/words.py", "drafts.why": "callcenter/web/drafts/words.py",
}  # fmt: skip
VOCAB_MEMBERS: dict[str, set[str]] = {
    "ex": {"keywords", "gazetteer"},
    "notes": {"caller_name", "address", "summary", "category", "called_back_at", "called_back_by"},
    "tl": {"created", "ringing", "up", "bridged", "ended"},
}
# A page script's table (first run only: later runs read JS_PREFIXES from the module).
JS_HOME: dict[str, tuple[str, ...]] = {
    "callcenter/web/live/words.py": ("live.", "popup.", "disp.", "stage.", "calls.", "col.", "kind.", "state."),
    "callcenter/web/drafts/words.py": ("vm.", "drafts.", "calls.anonymous", "live.reconnecting", "field.urgent"),
    "callcenter/web/cases/words.py": ("cd.",),
    "callcenter/web/wallboard/words.py": ("wb.", "clerk."),
}
MODULE_HEAD = '''"""Words of this feature that stored values are shown as (translated when a page is rendered).

Each table maps a stored value to its English msgid (``N_``) or (context, msgid) pair (``pN_``);
``i18n.word(vocabulary, value)`` translates it for the request's language.
"""

from __future__ import annotations

from callcenter.web.i18n import N_, Words, pN_

VOCABULARIES: dict[str, Words] = {
}
'''
KEY_RE = r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]*)+"


def literal(text: str, prefer: str = "'") -> str:
    other = '"' if prefer == "'" else "'"
    if prefer not in text:
        return f"{prefer}{text}{prefer}"
    if other not in text:
        return f"{other}{text}{other}"
    return prefer + text.replace("\\", "\\\\").replace(prefer, "\\" + prefer) + prefer


def to_msg(text: str) -> str:
    """``{name}`` placeholders → ``%(name)s``; a literal % is doubled only beside placeholders."""
    if re.search(r"{(\w+)}", text):
        return re.sub(r"{(\w+)}", r"%(\1)s", text.replace("%", "%%"))
    return text


def old_modules() -> list[tuple[Path, dict[str, str], dict[str, str]]]:
    sys.path.insert(0, str(ROOT))
    found = []
    for path in sorted(WEB.rglob("*.py")):
        text = path.read_text()
        if not (re.search(r"^ZH\b", text, re.M) and re.search(r"^EN\b", text, re.M)):
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = importlib.import_module(name)
        found.append((path, dict(module.ZH), dict(module.EN)))
    return found


def read_po(lang: str):  # -> babel Catalog
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po as _read

    path = LOCALE / lang / "LC_MESSAGES" / "messages.po"
    if path.exists():
        with path.open("rb") as f:
            return _read(f, locale=lang)
    return Catalog(locale=lang, project="callcenter", domain="messages", charset="utf-8")


def write_po(lang: str, catalog) -> None:
    from babel.messages.pofile import write_po as _write

    path = LOCALE / lang / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.fuzzy = False  # a new Catalog header is fuzzy, and compile skips a fuzzy catalog
    with path.open("wb") as f:
        _write(f, catalog, width=100, sort_output=False)


def assign(zh: dict[str, str], en: dict[str, str], catalog) -> dict[str, tuple[str | None, str]]:
    """key → (context, msgid)."""
    existing: dict[str, dict[str | None, str]] = collections.defaultdict(dict)
    for m in catalog:
        if m.id:
            existing[m.id][m.context] = m.string
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for key in sorted(zh):
        groups[to_msg(en.get(key) or zh[key])].append(key)
    out: dict[str, tuple[str | None, str]] = {}
    for msgid, members in groups.items():
        known = existing.get(msgid, {})
        if None in known and known[None]:
            base = known[None]
        else:
            counts = collections.Counter(to_msg(zh[k]) for k in members)
            base = max(counts, key=lambda s: (counts[s], -min(i for i, k in enumerate(members) if to_msg(zh[k]) == s)))
        for key in members:
            text = to_msg(zh[key])
            if text == base:
                out[key] = (None, msgid)
                continue
            reuse = [c for c, s in known.items() if c is not None and s == text]
            out[key] = (reuse[0] if reuse else key, msgid)
    return out


def call(ctx: str | None, msgid: str, quote: str, python: bool) -> str:
    """A template's ``_``/``pgettext``; Python's translator ``_`` and its ``_.pgettext``."""
    if ctx is None:
        return f"_({literal(msgid, quote)}"
    return f"{'_.' if python else ''}pgettext({literal(ctx, quote)}, {literal(msgid, quote)}"


def rewrite_sources(keys: dict[str, tuple[str | None, str]], dry: bool) -> collections.Counter[str]:
    done: collections.Counter[str] = collections.Counter()
    static = re.compile(r"(?<![\w.])_\(\s*(['\"])(" + KEY_RE + r")\1(?!\s*~)")  # not a prefix: 'cat.' ~ x
    dynamic = re.compile(r"(?<![\w.])_\(\s*(['\"])([a-z_]+(?:\.[a-z_]+)*)\.\1\s*~\s*")
    files = [*WEB.rglob("*.html"), *(p for p in (ROOT / "callcenter").rglob("*.py") if p.name != "i18n.py")]
    for path in files:
        text = path.read_text()
        html = path.suffix == ".html"

        def fix_static(m: re.Match[str]) -> str:
            if m.group(2) not in keys:
                return m.group(0)
            done[f"static {path.relative_to(ROOT)}"] += 1
            ctx, msgid = keys[m.group(2)]
            return call(ctx, msgid, m.group(1), not html)  # the same quotes: it may sit in an f-string

        def fix_dynamic(m: re.Match[str]) -> str:
            prefix = m.group(2)
            if prefix not in VOCAB_HOME:
                return m.group(0)
            done[f"dynamic {path.relative_to(ROOT)}"] += 1
            return f"word({literal(prefix, m.group(1))}, "

        new = static.sub(fix_static, text)
        if html:
            new = dynamic.sub(fix_dynamic, new)
        if new != text and not dry:
            path.write_text(new)
    return done


def vocabulary_of(key: str) -> tuple[str, str] | None:
    """(prefix, value) of the longest vocabulary that holds the key."""
    best = None
    for prefix in VOCAB_HOME:
        if key.startswith(prefix + "."):
            value = key[len(prefix) + 1:]
            members = VOCAB_MEMBERS.get(prefix)
            if (value in members) if members is not None else ("." not in value):
                if best is None or len(prefix) > len(best[0]):
                    best = (prefix, value)
    return best


def table_var(prefix: str) -> str:
    return re.sub(r"\W", "_", prefix).upper()


def entry(key: str, ctx: str | None, msgid: str) -> str:
    value = f"N_({literal(msgid, chr(34))})" if ctx is None else f"pN_({literal(ctx, chr(34))}, {literal(msgid, chr(34))})"
    return f"    {literal(key, chr(34))}: {value},\n"


def _dict_nodes(tree: ast.Module) -> dict[str, ast.Dict]:
    out = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(target, ast.Name) and isinstance(node.value, ast.Dict):
            out[target.id] = node.value
    return out


def add_entries(path: Path, var: str, items: list[tuple[str, str]], *, register: str | None = None,
                prefixes: tuple[str, ...] | None = None) -> int:
    """Adds ``key: N_(...)`` lines to the dict ``var`` of ``path`` (created if missing); returns how many."""
    if not path.exists():
        path.write_text(MODULE_HEAD)
    text = path.read_text()
    if "import N_" not in text and "N_," not in text:
        text = text.replace("from __future__ import annotations\n",
                            "from __future__ import annotations\n\nfrom callcenter.web.i18n import N_, Words, pN_\n", 1)
    tables = _dict_nodes(ast.parse(text))
    lines = text.splitlines(keepends=True)
    if var not in tables:
        block = ""
        if prefixes is not None:
            block += "# The page script's strings: key → msgid, sent translated as JSON (i18n.for_js).\n"
            block += f"JS_PREFIXES = {prefixes!r}\n"
        block += f"{var}: Words = {{\n}}\n\n"
        at = next((i for i, line in enumerate(lines) if line.startswith("VOCABULARIES")), len(lines))
        lines[at:at] = [block]
        text = "".join(lines)
        tables = _dict_nodes(ast.parse(text))
        lines = text.splitlines(keepends=True)
    have = {k.value for k in tables[var].keys if isinstance(k, ast.Constant)}
    new = [line for key, line in items if key not in have]
    end = tables[var].end_lineno - 1  # the line of the closing brace
    lines[end:end] = new
    text = "".join(lines)
    if register is not None:
        reg = _dict_nodes(ast.parse(text)).get("VOCABULARIES")
        regd = {k.value for k in reg.keys if isinstance(k, ast.Constant)} if reg is not None else set()
        if reg is not None and register not in regd:
            lines = text.splitlines(keepends=True)
            lines[reg.end_lineno - 1:reg.end_lineno - 1] = [f"    {literal(register, chr(34))}: {var},\n"]
            text = "".join(lines)
    path.write_text(text)
    return len(new)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--no-babel", action="store_true", help="skip scripts/i18n.sh extract update compile")
    args = parser.parse_args()
    os.chdir(ROOT)

    modules = old_modules()
    zh: dict[str, str] = {}
    en: dict[str, str] = {}
    for _, z, e in modules:
        zh.update(z)
        en.update(e)
    print(f"old dicts: {len(modules)} modules, {len(zh)} keys"
          + "".join(f"\n  {p.relative_to(ROOT)}: {len(z)} keys" for p, z, _ in modules))
    zh_po, en_po = read_po("zh_CN"), read_po("en")
    keys = assign(zh, en, zh_po)
    contexts = sorted(k for k, (c, _) in keys.items() if c is not None)
    print(f"msgids: {len({v for v in keys.values()})} ({len(contexts)} with a context)")

    done = rewrite_sources(keys, args.dry_run)
    for what, n in sorted(done.items()):
        print(f"  rewrote {n:3d} × {what}")

    # vocabularies and page-script tables
    vocab_added = js_added = 0
    by_table: dict[tuple[str, str], list[tuple[str, str]]] = collections.defaultdict(list)
    for key in sorted(keys):
        hit = vocabulary_of(key)
        if hit:
            by_table[(hit[0], VOCAB_HOME[hit[0]])].append((hit[1], entry(hit[1], *keys[key])))
    js_homes = dict(JS_HOME)
    for path in WEB.rglob("words.py"):
        m = re.search(r"^JS_PREFIXES = (\(.*?\))$", path.read_text(), re.M)
        if m:
            js_homes[str(path.relative_to(ROOT))] = ast.literal_eval(m.group(1))
    if not args.dry_run:
        for (prefix, home), items in sorted(by_table.items()):
            vocab_added += add_entries(ROOT / home, table_var(prefix), items, register=prefix)
        for home, prefixes in sorted(js_homes.items()):
            items = [(k, entry(k, *keys[k])) for k in sorted(keys) if k.startswith(prefixes)]
            js_added += add_entries(ROOT / home, "JS_STRINGS", items, prefixes=prefixes)
    print(f"vocabulary words added: {vocab_added}; page-script strings added: {js_added}")

    # the catalogs
    added = 0
    for key in sorted(keys):
        ctx, msgid = keys[key]
        string = to_msg(zh[key])
        if zh_po.get(msgid, context=ctx) is None:
            zh_po.add(msgid, string, context=ctx, auto_comments=[f"old key: {key}"])
            added += 1
        elif not zh_po.get(msgid, context=ctx).string:
            zh_po.get(msgid, context=ctx).string = string
        if en_po.get(msgid, context=ctx) is None:
            en_po.add(msgid, "", context=ctx)
    print(f"catalog entries added: {added}")
    if not args.dry_run:
        write_po("zh_CN", zh_po)
        write_po("en", en_po)

    for path, _, _ in modules:
        rel = path.relative_to(ROOT)
        if path.name.startswith("strings"):
            print(f"  deleted {rel}" + (" (dry run: not)" if args.dry_run else ""))
            if not args.dry_run:
                path.unlink()
        else:
            print(f"  NOTE: {rel} still defines ZH/EN: remove them (and any import of a deleted strings module) by hand")

    if not args.dry_run and not args.no_babel:
        subprocess.run(["sh", "scripts/i18n.sh", "extract", "update", "compile"], check=True,
                       env={**os.environ, "PYTHON": sys.executable})
    leftover = re.compile(r"(?<![\w.])_\(\s*['\"]([a-z_]+(?:\.[a-z0-9_]+)+)\.?['\"]")
    for path in [*WEB.rglob("*.html"), *(ROOT / "callcenter").rglob("*.py")]:
        for m in leftover.finditer(path.read_text()):
            if " " not in m.group(1):
                print(f"  left alone: {path.relative_to(ROOT)}: {m.group(0)} (not a known key: fix by hand)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
