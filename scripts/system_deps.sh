#!/usr/bin/env bash
# Install the Debian packages that `make run` or `make test` need, only the
# missing ones. Usage: scripts/system_deps.sh [run|test]   (default: run)
set -euo pipefail

mode=${1:-run}

# WeasyPrint (PDF reports) needs Pango and HarfBuzz, plus a font.
run_packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
# The suite also starts redis-server and PostgreSQL, drives Chromium, checks
# docker-compose.yml and looks at PDFs with poppler.
test_packages=(redis-server chromium chromium-driver postgresql docker-compose poppler-utils)

case "$mode" in
    run) wanted=("${run_packages[@]}") ;;
    test) wanted=("${run_packages[@]}" "${test_packages[@]}") ;;
    *)
        echo "usage: $0 [run|test]" >&2
        exit 2
        ;;
esac

if ! command -v dpkg >/dev/null 2>&1; then
    echo "system_deps: not a Debian system (no dpkg); make sure these are installed:" \
        "${wanted[*]}" >&2
    exit 0
fi

missing=()
for package in "${wanted[@]}"; do
    if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed'; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "system_deps: missing Debian packages: ${missing[*]}" >&2
    echo "Run this as root, install sudo, or install them yourself:" >&2
    echo "  apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "system_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
