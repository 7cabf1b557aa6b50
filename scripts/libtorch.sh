#!/usr/bin/env bash
# scripts/libtorch.sh — installs libtorch for the `torch` crate (tch 0.24 → PyTorch 2.11.0) once,
# into the project-local, git-ignored virtual environment `.venv`, and gives cargo the environment
# it needs to find it. Needs only python3 (with its venv module) and access to PyPI.
#
# Usage
#   source scripts/libtorch.sh          # install if needed, then export the variables in this shell
#   eval "$(bash scripts/libtorch.sh)"  # the same from a Makefile recipe or another shell
#   bash scripts/libtorch.sh            # install if needed and print the `export` lines
#   bash scripts/libtorch.sh --dir      # install if needed and print only the libtorch folder
# Progress and errors go to stderr, so stdout holds only what `eval` should see.
# Idempotent: a second run does not touch PyPI (about 0.1 s). TWIN_NETS_VENV overrides `.venv`.
#
# What it exports, and why
#   LIBTORCH=<.venv>/libtorch, a link to <.venv>/lib/pythonX.Y/site-packages/torch (lib/ and include/, like a libtorch zip)
#   and unsets LIBTORCH_USE_PYTORCH.
# torch-sys 0.24 also accepts LIBTORCH_USE_PYTORCH=1, but then its build script runs `python` when
# VIRTUAL_ENV is set and `python3` otherwise and imports torch (about 2 s) on every rebuild of the
# build script, so the result depends on which Python is first on PATH in whatever shell runs cargo.
# LIBTORCH is one plain path: it works from any shell, IDE or Makefile, and crates/torch/build.rs
# reads the same variable to embed an rpath to $LIBTORCH/lib (so no LD_LIBRARY_PATH is needed).
# With LIBTORCH, torch-sys checks the version only if a `build-version` file exists (the PyPI wheel
# has none), so LIBTORCH_BYPASS_VERSION_CHECK is not needed; this script checks the version itself.
# Its default C++ ABI (LIBTORCH_CXX11_ABI=1) matches the PyPI wheels of torch 2.11.

_tn_version="2.11.0"
# safetensors for Python: scripts/interop.py (the compare crate's interop test) reads our checkpoints
# (0.8.0: the 0.7 line imports the undeclared `packaging` module in safetensors.torch).
_tn_safetensors="0.8.0"
# The Python-side tools, pinned, installed by the same set-up: TensorBoard (its reader checks our
# event files in the tests, and `tensorboard --logdir` shows the curves), scikit-learn (the
# baselines a sweep is compared against), NumPy (the chapter's Route 1 reference loop) and pandas
# (scripts/csv_dialects.py writes the CSV dialects the loader is tested on); SciPy checks the
# sweep statistics (common/tests/sweep_stats.rs); torchvision (matching torch 2.11) and its
# Pillow read image folders as a torchvision user would, for the loader's comparison tests
# (common/tests/images_torchvision.rs) and the image benchmarks.
_tn_tools="tensorboard==2.21.0 scikit-learn==1.9.1 numpy==2.4.6 pandas==3.1.1 scipy==1.17.1 torchvision==0.26.0 pillow==13.0.0"

_tn_log() { printf 'libtorch.sh: %s\n' "$*" >&2; }

# The venv's torch folder if torch $_tn_version with libtorch's files is installed there.
# Checked without importing torch (importing takes ~2 s): the package metadata gives the
# version, and the files tch compiles and links against must be present.
_tn_find() {
    local py="$1/bin/python" dir
    [ -x "$py" ] || return 1
    # shellcheck disable=SC2086
    dir="$("$py" - "$_tn_version" "$_tn_safetensors" $_tn_tools 2>/dev/null <<'EOF'
import importlib.metadata as md, os, sys, sysconfig
assert md.version("torch").split("+")[0] == sys.argv[1]
assert md.version("safetensors") == sys.argv[2]
for pin in sys.argv[3:]:
    name, version = pin.split("==")
    assert md.version(name).split("+")[0] == version, pin
d = os.path.join(sysconfig.get_paths()["purelib"], "torch")
assert os.path.isfile(os.path.join(d, "lib", "libtorch_cpu.so"))
assert os.path.isfile(os.path.join(d, "include", "torch", "csrc", "api", "include", "torch", "torch.h"))
print(d)
EOF
)" || return 1
    [ -n "$dir" ] && printf '%s\n' "$dir"
}

# Creates the venv and installs torch into it (once); prints the torch folder. Runs in a
# subshell (command substitution), so the lock's file descriptor closes with it.
_tn_install() {
    local venv="$1" py="$1/bin/python" dir
    if dir="$(_tn_find "$venv")"; then
        printf '%s\n' "$dir"
        return 0
    fi
    # Two shells (say, `make -j` recipes) installing at once would corrupt the venv: take a
    # lock inside it, then look again, as the other one may have just finished.
    if ! mkdir -p "$venv"; then
        _tn_log "error: cannot create $venv"
        return 1
    fi
    if command -v flock >/dev/null 2>&1 && exec 9>"$venv/.install.lock"; then
        if ! flock -n 9; then
            _tn_log "another shell is installing torch into $venv; waiting for it"
            flock 9
        fi
        if dir="$(_tn_find "$venv")"; then
            printf '%s\n' "$dir"
            return 0
        fi
    fi
    if ! command -v python3 >/dev/null 2>&1; then
        _tn_log "error: python3 not found; install it (Debian: apt-get install python3 python3-venv)"
        return 1
    fi
    if [ ! -x "$py" ]; then
        _tn_log "creating the virtual environment $venv"
        if ! python3 -m venv "$venv" >&2; then
            _tn_log "error: 'python3 -m venv $venv' failed (Debian: apt-get install python3-venv)"
            return 1
        fi
    fi
    if ! "$py" -m pip --version >/dev/null 2>&1; then
        _tn_log "error: $venv has no pip (Debian: apt-get install python3-venv, then rm -rf $venv)"
        return 1
    fi
    # The full check the first time: torch must import, not just be on disk.
    if ! "$py" -c "import torch, safetensors; assert torch.__version__.startswith('$_tn_version') and safetensors.__version__ == '$_tn_safetensors'" >/dev/null 2>&1; then
        _tn_log "installing torch==$_tn_version from PyPI into $venv (~2.7 GB of wheels with its CUDA libraries, 4.6 GB installed, once)"
        "$py" -m pip install --disable-pip-version-check --no-input "torch==$_tn_version" "safetensors==$_tn_safetensors" >&2 || {
            _tn_log "error: pip could not install torch==$_tn_version into $venv"
            return 1
        }
        "$py" -c "import torch; assert torch.__version__.startswith('$_tn_version')" >/dev/null 2>&1 || {
            _tn_log "error: torch==$_tn_version was installed into $venv but does not import"
            return 1
        }
    fi
    # The tools, when torch is there but they are not (a venv made before they were added).
    # shellcheck disable=SC2086
    if ! "$py" - $_tn_tools >/dev/null 2>&1 <<'EOF'
import importlib.metadata as md, sys
for pin in sys.argv[1:]:
    name, version = pin.split("==")
    assert md.version(name).split("+")[0] == version, pin
EOF
    then
        _tn_log "installing $_tn_tools from PyPI into $venv (once)"
        # shellcheck disable=SC2086
        "$py" -m pip install --disable-pip-version-check --no-input $_tn_tools >&2 || {
            _tn_log "error: pip could not install $_tn_tools into $venv"
            return 1
        }
    fi
    dir="$(_tn_find "$venv")" || {
        _tn_log "error: torch in $venv lacks libtorch's lib/ or include/ folders, or a tool is missing"
        return 1
    }
    printf '%s\n' "$dir"
}

_tn_main() {
    local root venv dir
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" || return 1
    venv="${TWIN_NETS_VENV:-$root/.venv}"
    case "${1:-}" in
        "" | --dir) ;;
        *) _tn_log "error: unknown option '$1' (use no option or --dir)"; return 1 ;;
    esac
    dir="$(_tn_install "$venv")" || return 1
    # A stable link for .cargo/config.toml, so that a plain `cargo build` finds libtorch too
    # once this script has run (the real folder's name depends on the Python version).
    # LIBTORCH names the link too, so that cargo sees one value whichever way it is run (a
    # different value would make torch-sys rebuild its C++ shim).
    if ln -sfn "$dir" "$venv/libtorch" 2>/dev/null; then
        dir="$venv/libtorch"
    fi
    if [ "${1:-}" = --dir ]; then
        printf '%s\n' "$dir"
    else
        printf 'export LIBTORCH=%q\nunset LIBTORCH_USE_PYTORCH\n' "$dir"
    fi
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    # Sourced: export into the caller's shell, and leave its options (`set -e`, ...) alone.
    if _tn_exports="$(_tn_main)"; then
        eval "$_tn_exports"
        _tn_log "LIBTORCH=$LIBTORCH"
        _tn_status=0
    else
        _tn_log "libtorch is not set up"
        _tn_status=1
    fi
    unset -f _tn_log _tn_find _tn_install _tn_main
    unset _tn_version _tn_safetensors _tn_tools _tn_exports
    # The status of the set-up, so that `source scripts/libtorch.sh && cargo ...` works.
    eval "unset _tn_status; return $_tn_status"
else
    set -euo pipefail
    _tn_main "$@"
fi
