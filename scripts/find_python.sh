#!/usr/bin/env bash
# Print the path of the first Python interpreter that is 3.12 or newer.
#
# Order: $PYTHON (if set), python3.13, python3.12, each pyenv version
# (newest first), python3. Each candidate is run, not just looked up: pyenv's
# python3.12 shim exists on PATH but only answers with PYENV_VERSION set.
set -euo pipefail

# Prints the interpreter's real path if it runs and is 3.12+, fails otherwise.
check() {
    "$1" -c 'import sys
if sys.version_info < (3, 12):
    sys.exit(1)
print(sys.executable)' 2>/dev/null
}

if [ -n "${PYTHON:-}" ]; then
    if check "$PYTHON"; then
        exit 0
    fi
    echo "PYTHON=$PYTHON does not run as Python 3.12 or newer" >&2
    exit 1
fi

candidates=(python3.13 python3.12)
pyenv_root=""
if command -v pyenv >/dev/null 2>&1; then
    pyenv_root=$(pyenv root 2>/dev/null || true)
fi
pyenv_root=${pyenv_root:-${PYENV_ROOT:-}}
if [ -n "$pyenv_root" ] && [ -d "$pyenv_root/versions" ]; then
    while IFS= read -r version_dir; do
        candidates+=("${version_dir%/}/bin/python3")
    done < <(printf '%s\n' "$pyenv_root"/versions/*/ | sort -rV)
fi
candidates+=(python3)

for candidate in "${candidates[@]}"; do
    if check "$candidate"; then
        exit 0
    fi
done

echo "No Python 3.12 or newer found: install python3.12 (Debian: apt-get install python3.12)" \
    "or set PYTHON=/path/to/python3.12" >&2
exit 1
