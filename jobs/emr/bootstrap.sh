#!/bin/bash
# EMR bootstrap action: installs narrow's natives and property files on every node, once per
# cluster, so that a step ships only the small application jar (README, "From laptop to cluster").
#   --bootstrap-actions Path=s3://BUCKET/narrow/bootstrap.sh,Args=[s3://BUCKET/narrow]
# The folder holds narrow-natives.jar (target/, built with mvn -Pgpu -DskipTests package for GPUs)
# and conf/ (this repository's conf/: the experiments and conf/spark/).
set -euo pipefail
source="${1:?usage: bootstrap.sh s3://BUCKET/narrow (the folder with narrow-natives.jar and conf/)}"
sudo mkdir -p /opt/narrow/lib /opt/narrow/conf
sudo aws s3 cp --only-show-errors "$source/narrow-natives.jar" /opt/narrow/lib/narrow-natives.jar
sudo aws s3 cp --only-show-errors --recursive "$source/conf/" /opt/narrow/conf/
# executors run as yarn, the driver of a step as hadoop: both read it
sudo chmod -R a+rX /opt/narrow
