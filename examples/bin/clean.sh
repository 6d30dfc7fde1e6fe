#!/usr/bin/env bash
# clean DATE CLIENT_ID: drop the header and the rows that fail the quality check
# (odd row numbers stand in for bad records), so half of the raw rows remain.
set -euo pipefail
date=$1 client_id=$2
data="${STOLOS_EXAMPLE_DATA:-./example-data}"
in="$data/raw/$date/$client_id.csv"
out="$data/clean/$date/$client_id.csv"
mkdir -p "$(dirname "$out")"
awk -F, 'NR > 1 && $3 % 2 == 0' "$in" >"$out.tmp"
mv "$out.tmp" "$out"
echo "clean: $(wc -l <"$out") of $(($(wc -l <"$in") - 1)) rows kept -> $out"
