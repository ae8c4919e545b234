#!/usr/bin/env bash
# Run by Maven after the tests (phase verify): prints, loudly, the checks this build could not
# run for want of Python, torch or transformers (the tests list them in target/skipped-checks.txt).
cd "$(dirname "$0")/../../.."
LIST=target/skipped-checks.txt
[ -s "$LIST" ] || exit 0
echo "[WARNING] ================================================================"
echo "[WARNING] $(sort -u "$LIST" | wc -l) check(s) against PyTorch/transformers were SKIPPED:"
sort -u "$LIST" | sed 's/^/[WARNING]   /'
echo "[WARNING] They run where python3 with venv and pip can install torch and transformers"
echo "[WARNING] (see target/hf-venv-install.log), or with NARROW_HF_PYTHON=/path/to/python."
echo "[WARNING] ================================================================"
