# The two commands of the README, plus helpers. Every target that builds sources
# scripts/libtorch.sh first: it installs PyTorch 2.11.0 into the ignored .venv on first use and
# exports what tch needs to find libtorch (binaries carry an rpath, so they run without it).
SHELL := /bin/bash
ENV := source scripts/libtorch.sh &&

.PHONY: run test setup lint fmt bench doc

## The main job: both routes on the chapter's circle data, same split, same initial weights,
## side by side (a table on stdout, report.md and plots in checkpoints/compare-chapter/).
run:
	$(ENV) cargo run --release --quiet -p compare

## Every test (unit, black-box, CLI), the same command CI runs.
test:
	$(ENV) cargo test --workspace --no-fail-fast

## Install libtorch only.
setup:
	$(ENV) true

## Formatting and lints, as required before a commit.
lint:
	cargo fmt --all -- --check
	$(ENV) cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

## Throughput benchmarks (release build): both backends on every workload of both routes,
## with the chapter's own Python loops (NumPy Route 1, PyTorch Route 2) run between ours, and
## `scratch train` against the NumPy script as whole processes (hence the scratch binary).
bench:
	$(ENV) cargo build --release --quiet -p scratch -p compare && target/release/compare bench --python
