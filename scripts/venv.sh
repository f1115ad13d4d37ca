#!/usr/bin/env bash
# Sourced by ./run and ./test: makes .venv on Python >= 3.12 and keeps it in step with pyproject.toml.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

find_python() {
    local candidates=()
    [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
    candidates+=(python3.12)
    # pyenv keeps versions outside PATH on this kind of machine; 3.12 (what CI uses) before 3.13.
    for p in $(ls -d "$HOME"/.pyenv/versions/3.12.*/bin/python "$HOME"/.pyenv/versions/3.13.*/bin/python 2>/dev/null); do
        candidates+=("$p")
    done
    candidates+=(python3.13 python3)
    for c in "${candidates[@]}"; do
        if command -v "$c" >/dev/null 2>&1 &&
            "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
            command -v "$c"
            return 0
        fi
    done
    echo "error: Python >= 3.12 is needed (Django 6); set PYTHON=/path/to/python3.12" >&2
    return 1
}

if [ ! -x "$VENV/bin/python" ]; then
    PY="$(find_python)"
    echo "==> creating .venv with $PY"
    "$PY" -m venv "$VENV"
fi

STAMP="$VENV/.pyproject.sha256"
WANT="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
    echo "==> installing dependencies from pyproject.toml"
    # pip's output goes to a log, shown only on failure (this machine's pip config names local
    # mirrors that may be absent, which makes every install print pages of warnings).
    for args in "install --upgrade pip" "install -e $ROOT[dev]"; do
        if ! "$VENV/bin/python" -m pip $args >"$VENV/pip.log" 2>&1; then
            grep -v "^WARNING: Location" "$VENV/pip.log" >&2
            echo "error: pip $args failed" >&2
            exit 1
        fi
    done
    echo "$WANT" >"$STAMP"
fi
