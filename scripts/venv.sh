# Sourced by run.sh / test.sh: make .venv and install the project when pyproject changed.
# $1 = "test" to include the test extras.
extras="${1:-}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi
spec="."
[ "$extras" = "test" ] && spec=".[test]"
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras:-base}"
if [ ! -e "$stamp" ]; then
    echo "installing $spec into .venv ..." >&2
    .venv/bin/python -m pip install --quiet -e "$spec"
    touch "$stamp"
fi
# The panel's end-to-end tests drive Debian's Chromium (never a downloaded browser) and
# need CJK fonts to render the clerks' Chinese. Install them when we can (root + apt);
# otherwise those tests fail and say what is missing.
if [ "$extras" = "test" ]; then
    missing=""
    [ -x /usr/bin/chromium ] || missing="$missing chromium"
    fc-list 2>/dev/null | grep -qi "noto.*cjk" || missing="$missing fonts-noto-cjk"
    if [ -n "$missing" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
        echo "installing system packages:$missing ..." >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) >&2 \
            || echo "warning: could not install$missing" >&2
    fi
fi
