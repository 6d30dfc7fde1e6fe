#!/usr/bin/env bash
# Run the example pipeline end to end on the embedded SQLite backend (no server needed):
# install stolos-core, stolos-config-json and stolos-bash from this checkout into
# .venv-demo, then run examples/demo.py with it. Exit code 0 only if every job reached
# its expected state (see examples/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-demo
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
echo "demo: installing stolos-core, stolos-config-json and stolos-bash into $venv/"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    ./stolos-core ./stolos-config-json ./stolos-bash
exec "$venv/bin/python" examples/demo.py
