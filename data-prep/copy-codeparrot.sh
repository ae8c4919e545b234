#!/usr/bin/env bash
# Copies the codeparrot/github-code Parquet files (the study's corpus, ~1 TB over 1,126 files, all
# languages) from a machine that can reach the Hugging Face Hub to S3 or GCS, for cluster runs.
# narrow reads them in place: the tokenize job keeps the Python rows.
#
#   data-prep/copy-codeparrot.sh s3://my-bucket/codeparrot/github-code    # then data.input: s3a://my-bucket/codeparrot/github-code
#   data-prep/copy-codeparrot.sh gs://my-bucket/codeparrot/github-code    # then data.input: gs://my-bucket/codeparrot/github-code
#
# Needs: huggingface-cli (pip install huggingface_hub), and aws (S3) or gcloud storage (GCS).
# STAGING (default /tmp/github-code) must hold one batch of files; BATCH files are copied at a time
# so that the whole corpus never sits on the local disk.
set -euo pipefail

DEST="${1:?usage: $0 s3://bucket/prefix | gs://bucket/prefix}"
STAGING="${STAGING:-/tmp/github-code}"
BATCH="${BATCH:-50}"
TOTAL=1126

upload() {
  case "$DEST" in
    s3://*) aws s3 sync "$STAGING/data" "$DEST" --only-show-errors ;;
    gs://*) gcloud storage rsync "$STAGING/data" "$DEST" ;;
    *) echo "destination must start with s3:// or gs://" >&2; exit 1 ;;
  esac
}

for ((start = 0; start < TOTAL; start += BATCH)); do
  patterns=()
  for ((i = start; i < start + BATCH && i < TOTAL; i++)); do
    patterns+=(--include "$(printf 'data/train-%05d-of-%05d.parquet' "$i" "$TOTAL")")
  done
  huggingface-cli download codeparrot/github-code --repo-type dataset "${patterns[@]}" \
    --local-dir "$STAGING" >/dev/null
  upload
  rm -rf "$STAGING/data"
  echo "copied files $start..$((start + BATCH - 1)) of $TOTAL"
done
