#!/usr/bin/env bash
# Makes the Python the tests check narrow's files with: a venv under target/hf-venv with torch,
# transformers and safetensors (checkpoints, .pt files), pyarrow and pandas (the metrics tables) and
# nbclient, ipykernel and matplotlib (the notebook), made once and reused until `mvn clean`; a venv
# made with a shorter list gets the missing packages added. Run by Maven before
# the tests (phase generate-test-resources). Never fails the build: where Python, venv or pip's
# index is missing, it says why, and the checks that need it are listed as skipped at the end.
# NARROW_HF_PYTHON set: that interpreter is used instead and nothing is made.
set -uo pipefail
cd "$(dirname "$0")/../../.."

VENV=target/hf-venv
LOG=target/hf-venv-install.log
mkdir -p target
rm -f target/skipped-checks.txt   # this build's list starts empty

[ -z "${NARROW_HF_PYTHON:-}" ] || exit 0
PACKAGES="torch transformers safetensors pyarrow pandas nbclient ipykernel matplotlib"
IMPORTS="import torch, transformers, safetensors, pyarrow, pandas, nbclient, ipykernel, matplotlib"
# .complete holds the package list the venv was made with
[ -f "$VENV/.complete" ] && [ "$(cat "$VENV/.complete")" = "$PACKAGES" ] && exit 0
[ -f "$VENV/.complete" ] || rm -rf "$VENV"

PY=$(command -v python3 || true)
if [ -z "$PY" ]; then
  echo "setup-venv: no python3 on PATH; the PyTorch and transformers checks will be skipped" >&2
  exit 0
fi
echo "setup-venv: making $VENV ($PACKAGES) once; log in $LOG" >&2
start=$SECONDS
# --retries 0: an index that cannot be reached is passed over at once, not retried with backoff
if { [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV" >"$LOG" 2>&1; } \
    && "$VENV/bin/python" -m pip install -q --retries 0 $PACKAGES >>"$LOG" 2>&1 \
    && "$VENV/bin/python" -c "$IMPORTS" >>"$LOG" 2>&1; then
  echo "$PACKAGES" > "$VENV/.complete"
  echo "setup-venv: done in $((SECONDS - start)) s: $("$VENV/bin/python" -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)')" >&2
else
  echo "setup-venv: could not make $VENV (see $LOG: $(tail -n 1 "$LOG")); the checks that need it will be skipped" >&2
  rm -rf "$VENV"
fi
exit 0
