#!/usr/bin/env bash
# Run the whole test suite: the README's test command, and exactly what CI runs (.ci/run).
#
# On a fresh Debian machine it first installs what the tests need and the machine lacks:
# the system programs below (as root; otherwise it says what to install, and the tests
# that need them skip) and nox + uv. Then it runs nox's default sessions; arguments are
# passed to nox (e.g. `bash scripts/test.sh -s tests-core`). Exit code: nox's.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

# program the tests run : Debian package that provides it
SYSTEM_PROGRAMS=(
    "redis-server:redis-server"
    "dot:graphviz"
)

missing_packages() {
    local entry
    for entry in "${SYSTEM_PROGRAMS[@]}"; do
        command -v "${entry%%:*}" >/dev/null 2>&1 || echo "${entry#*:}"
    done
}

install_system_packages() {
    local packages
    mapfile -t packages < <(missing_packages)
    ((${#packages[@]})) || return 0
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: missing ${packages[*]}; the tests that need them will skip." >&2
        echo "test.sh: install with: sudo apt-get install --no-install-recommends ${packages[*]}" >&2
        return 0
    fi
    # Installing a server package must not start its service (redis-server would hold port
    # 6379): the tests start their own servers on free ports. policy-rc.d exit code 101
    # tells Debian's maintainer scripts that starting services is not allowed.
    local policy=/usr/sbin/policy-rc.d created_policy=""
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
    fi
    local status=0
    {
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q &&
            apt-get install -y -q --no-install-recommends "${packages[@]}"
    } || status=$?
    [[ -z $created_policy ]] || rm -f "$policy"
    return "$status"
}

# nox and uv: the ones python3 already has, else a tools venv of the repository's own.
nox_python() {
    if python3 -c 'import nox, uv' >/dev/null 2>&1; then
        command -v python3
        return
    fi
    if ! .venv-tools/bin/python -c 'import nox, uv' >/dev/null 2>&1; then
        python3 -m venv .venv-tools
        .venv-tools/bin/python -m pip install --quiet --disable-pip-version-check nox uv >&2
    fi
    echo .venv-tools/bin/python
}

install_system_packages
PYTHON=$(nox_python)
exec "$PYTHON" -m nox "$@"
