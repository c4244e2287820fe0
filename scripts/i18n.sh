#!/bin/sh
# The translator's workflow (callcenter/web/README.md, "Translating"):
#   scripts/i18n.sh extract   sources → callcenter/locale/messages.pot
#   scripts/i18n.sh update    messages.pot → zh_CN and en messages.po (new entries empty, none fuzzy)
#   scripts/i18n.sh compile   messages.po → messages.mo (committed; tests check they are current)
# Several steps in a row: scripts/i18n.sh extract update compile. PYTHON picks the interpreter
# (default python3), i.e. `$PYTHON -m babel.messages.frontend` is pybabel.
set -eu
cd "$(dirname "$0")/.."
PYBABEL="${PYTHON:-python3} -m babel.messages.frontend"
# The same keywords as callcenter.web.i18n.KEYWORDS (the tests compare them); _, gettext and
# pgettext are Babel's defaults.
KEYWORDS="-k N_ -k pN_:1c,2"
for step in "$@"; do
  case "$step" in
    extract)
      $PYBABEL extract -F babel.cfg $KEYWORDS --no-location --sort-by-file --width=100 \
        --project=callcenter --copyright-holder="callcenter contributors" \
        -o callcenter/locale/messages.pot . ;;
    update)
      $PYBABEL update -i callcenter/locale/messages.pot -d callcenter/locale -D messages \
        --no-fuzzy-matching --ignore-obsolete --width=100 -l zh_CN
      $PYBABEL update -i callcenter/locale/messages.pot -d callcenter/locale -D messages \
        --no-fuzzy-matching --ignore-obsolete --width=100 -l en ;;
    compile)
      $PYBABEL compile -d callcenter/locale -D messages --statistics ;;
    *) echo "usage: $0 extract|update|compile ..." >&2; exit 2 ;;
  esac
done
