#!/usr/bin/env bash
# features DATE CLIENT_ID MODEL: compute the input feature a model needs from the clean rows
# (linear: the mean amount, tree: the largest amount).
set -euo pipefail
date=$1 client_id=$2 model=$3
data="${STOLOS_EXAMPLE_DATA:-./example-data}"
in="$data/clean/$date/$client_id.csv"
out="$data/features/$date/${client_id}_$model.txt"
case $model in
    linear) program='{ sum += $4 } END { printf "mean_amount %.2f\n", sum / NR }' ;;
    tree) program='$4 > max { max = $4 } END { printf "max_amount %d\n", max }' ;;
    *) echo "features: unknown model $model" >&2; exit 2 ;;
esac
mkdir -p "$(dirname "$out")"
awk -F, "$program" "$in" >"$out.tmp"
mv "$out.tmp" "$out"
echo "features: $(cat "$out") -> $out"
