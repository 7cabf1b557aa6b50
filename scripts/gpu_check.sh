#!/usr/bin/env bash
# The GPU check of the torch backend, as one short script for a machine with an NVIDIA GPU and
# its own PyTorch 2.11 (the `device` machines): `torch doctor`, the chapter's Route 2 run on
# CUDA, then training throughput on CUDA for (a) the chapter run, (b) circle n=200,000 and
# (d) the big net 784→2048→2048→2 (batch 1024, n=200,000, 2 epochs), each next to the same
# loop in PyTorch-in-Python on the same GPU (scripts/bench_python.py), so the ratios come from
# one run.
#
# The binary is built here, not there (no Rust toolchain or network there):
#
#     source scripts/libtorch.sh
#     cargo build --release -p torch --features cuda --target-dir target/cuda
#
# and carried (`target/cuda/release/torch`, about 6 MB: libtorch itself stays behind). There it
# runs against that machine's libtorch, found through its Python:
#
#     bash scripts/gpu_check.sh [path/to/torch]     # default: target/cuda/release/torch
#
# Everything it prints also goes to $OUT/gpu_check.log when OUT is set.
set -uo pipefail

bin=${1:-target/cuda/release/torch}
py=${PYTHON:-python3}
log=${OUT:-/tmp}/gpu_check.log

if [[ ! -x $bin ]]; then
    echo "gpu_check: no binary at $bin (build it with --features cuda, see the header)" >&2
    exit 2
fi
torch_lib=$("$py" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))') || {
    echo "gpu_check: $py cannot import torch; set PYTHON to a Python with PyTorch 2.11" >&2
    exit 2
}
export LD_LIBRARY_PATH="$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PYTHONUNBUFFERED=1
bin=$(realpath "$bin")
run_dir=$(mktemp -d)

{
    echo "== nvidia-smi"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
    echo "== torch doctor"
    "$bin" doctor
    echo "== the chapter's Route 2 run on CUDA (torch --device cuda)"
    (cd "$run_dir" && /usr/bin/time -f "whole run: %e s wall" "$bin" --device cuda)
    echo "== torch bench on CUDA, best of 3"
    "$bin" --device cuda bench --case a,b,d --reps 3
    echo "== the same loop in PyTorch (Python) on CUDA, best of 3"
    "$py" scripts/bench_python.py --device cuda --case a,b,d --reps 3 2>&1 | grep -v -i numpy
} 2>&1 | tee "$log"
