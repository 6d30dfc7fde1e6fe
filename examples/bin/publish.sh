#!/usr/bin/env bash
# publish DATE: copy the day's report to the published area. The first attempt of each
# day fails, as a flaky upload would, to show a retry: it leaves a marker and exits 1;
# the retry finds the marker and publishes.
set -euo pipefail
date=$1
data="${STOLOS_EXAMPLE_DATA:-./example-data}"
marker="$data/publish/$date.attempted"
mkdir -p "$data/publish" "$data/published"
if [[ ! -e $marker ]]; then
    touch "$marker"
    echo "publish: upload of $date failed (simulated), a retry will succeed" >&2
    exit 1
fi
cp "$data/report/$date.txt" "$data/published/$date.txt.tmp"
mv "$data/published/$date.txt.tmp" "$data/published/$date.txt"
echo "publish: $data/published/$date.txt"
