#!/usr/bin/env bash
# Installs the project and its test dependencies (Python, Debian and npm) idempotently.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

APT_UPDATED=
apt_update_once() {
    if [ -z "$APT_UPDATED" ]; then
        apt-get update -qq
        APT_UPDATED=1
    fi
}

# Debian packages the tests drive: Chromium for the UI tests (never `playwright install`).
if ! command -v chromium >/dev/null 2>&1; then
    apt_update_once
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# Log shippers for tests/test_shippers.py. syslog-ng-core and rsyslog conflict as installed
# packages, so both are unpacked (dpkg -x) into a private folder instead, where they start no
# system daemon; the tests run them from there. Only their shared libraries are installed.
SHIPPERS=.test-tools/shippers
SHIPPER_DEBS=(rsyslog rsyslog-elasticsearch syslog-ng-core syslog-ng-mod-http syslog-ng-scl)
SHIPPER_LIBS=(libcurl4 libestr0 libfastjson4 liblognorm5 libuuid1 libzstd1 zlib1g libsystemd0
              libcap2 libglib2.0-0 libivykis0 libjson-c5 libnet1 libpcre3 libssl3 libwrap0)
missing_libs=()
for lib in "${SHIPPER_LIBS[@]}"; do
    dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q "install ok installed" \
        || missing_libs+=("$lib")
done
if [ ${#missing_libs[@]} -gt 0 ]; then
    apt_update_once
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_libs[@]}" >/dev/null
fi
if [ ! -x "$SHIPPERS/usr/sbin/rsyslogd" ] || [ ! -x "$SHIPPERS/usr/sbin/syslog-ng" ]; then
    apt_update_once
    debs=$(mktemp -d)
    (cd "$debs" && apt-get download -qq "${SHIPPER_DEBS[@]}" 2>/dev/null)
    mkdir -p "$SHIPPERS"
    for deb in "$debs"/*.deb; do
        dpkg -x "$deb" "$SHIPPERS"
    done
    rm -rf "$debs"
fi

# curl runs the README's examples (tests/test_readme_curl.py).
if ! command -v curl >/dev/null 2>&1; then
    apt_update_once
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
fi

# Node clients for tests/test_node_clients.py, pinned by tests/node/package-lock.json.
if ! command -v npm >/dev/null 2>&1; then
    apt_update_once
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -f tests/node/node_modules/.package-lock.json ] \
        || [ tests/node/package-lock.json -nt tests/node/node_modules/.package-lock.json ]; then
    (cd tests/node && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# elasticsearch-dbapi, a SQL client from PyPI (tests/sql/test_third_party_client.py): its
# requirements (opensearch-py<3, elasticsearch<8) conflict with the test venv's, so it gets a
# venv of its own, which the test runs a script in.
if [ ! -x .venv-sqlclient/bin/python ]; then
    python3 -m venv .venv-sqlclient
fi
.venv-sqlclient/bin/python -m pip install --quiet "elasticsearch-dbapi==0.3.0" "sqlalchemy>=2,<3"
