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
