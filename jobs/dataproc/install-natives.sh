#!/bin/bash
# Dataproc initialization action: installs narrow's natives on every node, once per cluster, so
# that a job ships only the small application jar (README, "From laptop to cluster").
#   --initialization-actions=...,gs://BUCKET/narrow/install-natives.sh --metadata=narrow-source=gs://BUCKET/narrow
# The folder holds narrow-natives.jar (target/, built with mvn -Pgpu -DskipTests package for GPUs).
set -euo pipefail
source="$(/usr/share/google/get_metadata_value attributes/narrow-source)" || {
  echo "install-natives.sh: set --metadata=narrow-source=gs://BUCKET/narrow (the folder with narrow-natives.jar)" >&2
  exit 1
}
mkdir -p /opt/narrow/lib
gcloud storage cp "$source/narrow-natives.jar" /opt/narrow/lib/narrow-natives.jar
chmod -R a+rX /opt/narrow
