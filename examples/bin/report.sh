#!/usr/bin/env bash
# report DATE: count the clean rows of every client of the day, and their total.
set -euo pipefail
date=$1
data="${STOLOS_EXAMPLE_DATA:-./example-data}"
out="$data/report/$date.txt"
mkdir -p "$(dirname "$out")"
total=0
{
    for file in "$data/clean/$date"/*.csv; do
        rows=$(wc -l <"$file")
        echo "client $(basename "$file" .csv) $rows"
        total=$((total + rows))
    done
    echo "total $total"
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "report: $(tail -n 1 "$out") rows -> $out"
