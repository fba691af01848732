#!/bin/bash
# Alternate llama2.c and kvsim on the llama-110m shape, pair by pair, each pair
# started once the CPUs were at least 95% idle over 3 s; prints one line per pair.
# Usage: tools/llama2c-pairs.sh LLAMA2C_DIR KVSIM_BIN THREADS PAIRS
# LLAMA2C_DIR holds run.c built as ./run1 (-Ofast -march=native) and ./run
# (make runomp), tokenizer.bin, and the checkpoint written by
#   go test -run TestWriteLlama2cCheckpoint ./kvsim/decoder -args -llama2c-out=/tmp/r110.bin
# (copied afresh before each series: run.c maps it from the page cache).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 LLAMA2C_DIR KVSIM_BIN THREADS PAIRS" >&2; exit 2; }
dir=$1 kvsim=$(realpath "$2") threads=$3 pairs=$4
[ -f /tmp/r110.bin ] || { echo "no /tmp/r110.bin: write it with the go test command in this script's header" >&2; exit 2; }
cd "$dir"
ckpt=fresh_t$threads.bin; rm -f "$ckpt"; cp /tmp/r110.bin "$ckpt"; sync
if [ "$threads" = 1 ]; then llama=./run1; else llama=./run; fi
idle() { read -r _ u n s i w q sq st _ < /proc/stat; t1=$((u+n+s+i+w+q+sq+st)); i1=$((i+w)); sleep 3
         read -r _ u n s i w q sq st _ < /proc/stat; t2=$((u+n+s+i+w+q+sq+st)); i2=$((i+w)); echo $(( 100*(i2-i1)/(t2-t1) )); }
run_llama() { OMP_NUM_THREADS=$threads $llama "$ckpt" -t 0 -n 256 2>&1 | grep -o "achieved tok/s: [0-9.]*" | awk '{print $3}'; }
run_kvsim() { "$kvsim" bench --model llama-110m --cache on --prompt 1 --new 256 --threads "$threads" |
  awk '$1=="cached"{for(i=2;i<=NF;i++) if ($i ~ /^[0-9.]+-[0-9.]+$/) {print $(i-1); exit}}'; }
for i in $(seq "$pairs"); do
  for _ in $(seq 200); do id=$(idle); [ "$id" -ge 95 ] && break; done
  if [ $((i % 2)) = 0 ]; then l=$(run_llama); k=$(run_kvsim); else k=$(run_kvsim); l=$(run_llama); fi
  echo "$(date +%H:%M:%S) pair $i threads $threads idle_before $id load $(cut -d' ' -f1 /proc/loadavg) llama2c $l kvsim $k"
done
