#!/usr/bin/env bash
# ingest DATE CLIENT_ID: write the client's raw rows of the day (10 rows per unit of client id).
set -euo pipefail
date=$1 client_id=$2
out="${STOLOS_EXAMPLE_DATA:-./example-data}/raw/$date/$client_id.csv"
mkdir -p "$(dirname "$out")"
rows=$((client_id * 10))
{
    echo "date,client_id,row,amount"
    for row in $(seq "$rows"); do
        echo "$date,$client_id,$row,$(((row * 37 + client_id * 11) % 100))"
    done
} >"$out.tmp"
mv "$out.tmp" "$out" # a rerun of the job never leaves a half-written file behind
echo "ingest: $rows rows -> $out"
