# Sourced by the jobs/<experiment> wrappers: one spark-submit of `narrow run` for the runs of an
# experiment's grid on a cluster (one, a glob, or all), printed before it runs (README, "From
# laptop to cluster"). A wrapper defines experiment_models (optional) and calls
#   submit_experiment EXPERIMENT "$@"
# experiment_models RUN prints KEY=FOLDER lines: config keys that name a model folder under --models;
# RUN is a name, a glob, or empty for every run. Where the picked runs need more than one folder for
# a key (a --set applies to every run), it prints what to pick instead and fails.

JOBS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=native-memory.sh
. "$JOBS_ROOT/jobs/native-memory.sh"

submit_usage() {
  cat <<EOF
usage: jobs/$1 --master URL --properties FILE --data PATH --output ROOT [--models DIR]
         [--replicas N] [--deploy-mode client|cluster] [--jar JAR] [--print] [RUN] [-- NARROW_OPTION ...]

Runs \`narrow run conf/$1.yaml --run RUN --set output_root=ROOT\` with spark-submit and
prints the command first. RUN is a run of the file's runs: or a quoted glob of them ('n0.50_*');
without RUN, every run, one after another in one application. Runs already done are skipped,
partial training runs resume; the exit code is the number of failed runs.
  --master URL        spark://HOST:7077, yarn, local[N]
  --properties FILE   a Spark property file, e.g. conf/spark/standalone-cpu.conf
  --data PATH         the tokenized shards (data.output of narrow tokenize)
  --output ROOT       the study's tree (output_root): runs write ROOT/$1/RUN/, the metrics
                      tables ROOT/_metrics/, the figures ROOT/_report/
  --models DIR        the folder of the pretrained models (Llama-3.2-1B/, Llama-3.1-8B/, Llama-3.2-3B/)
  --replicas N        data-parallel replicas: distributed.replicas, and as many executors
                      (--num-executors on YARN, spark.cores.max on a standalone master)
  --deploy-mode MODE  client (default: the driver runs here) or cluster (the config travels with --files)
  --jar JAR           the application jar (default target/narrow-app.jar; s3://, gs://, hdfs:// too)
  --print             print the command, run nothing
Paths are s3a://, gs://, hdfs:// or local; local ones are made absolute here and must be the same
on every node. Options after -- go to narrow (e.g. -- --dry-run, -- --set train.max_steps=100).
EOF
}

submit_die() { echo "jobs/$SUBMIT_EXPERIMENT: $*" >&2; exit 2; }

# a local path made absolute against the caller's folder; URLs (scheme://) as they are
submit_path() {
  case "$1" in
    *://*) printf '%s' "$1" ;;
    *) realpath -m -- "$1" ;;
  esac
}

# the value of KEY in a Spark property file (`key value` or `key=value`), empty if unset
submit_property() {
  sed -n "s/^[[:space:]]*${1//./\\.}[[:space:]=][[:space:]]*\(.*[^[:space:]]\)[[:space:]]*\$/\1/p" "$2" | tail -n 1
}

submit_experiment() {
  local experiment="$1"; shift
  SUBMIT_EXPERIMENT="$experiment"
  local master="" properties="" data="" output="" models="" replicas="" mode=client
  local jar="$JOBS_ROOT/target/narrow-app.jar" print=false run=""
  local -a narrow_options=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --master|--properties|--data|--output|--models|--replicas|--deploy-mode|--jar)
        [ $# -ge 2 ] || submit_die "$1 needs a value (--help)"
        case "$1" in
          --master) master="$2" ;;
          --properties) properties="$2" ;;
          --data) data="$2" ;;
          --output) output="$2" ;;
          --models) models="$2" ;;
          --replicas) replicas="$2" ;;
          --deploy-mode) mode="$2" ;;
          --jar) jar="$2" ;;
        esac
        shift 2 ;;
      --print) print=true; shift ;;
      -h|--help) submit_usage "$experiment"; exit 0 ;;
      --) shift; narrow_options=("$@"); break ;;
      -*) submit_die "unknown option $1 (--help lists them)" ;;
      *) [ -z "$run" ] || submit_die "one RUN (a name or a quoted glob, or none for every run): '$run' and '$1'"
         run="$1"; shift ;;
    esac
  done
  local option
  for option in master properties data output; do
    [ -n "${!option}" ] || submit_die "--$option is required (--help)"
  done
  [ -f "$properties" ] || submit_die "--properties $properties: no such file (conf/spark/ has one per cluster kind)"
  case "$mode" in client|cluster) ;; *) submit_die "--deploy-mode must be client or cluster, not '$mode'" ;; esac
  if [ -n "$replicas" ]; then
    [[ "$replicas" =~ ^[1-9][0-9]*$ ]] || submit_die "--replicas must be a whole number of at least 1, not '$replicas'"
  fi
  case "$jar" in
    *://*) ;;
    *) $print || [ -f "$jar" ] || submit_die "$jar not found: build it with mvn -DskipTests package (or name one with --jar)" ;;
  esac

  local -a sets=("data.output=$(submit_path "$data")" "output_root=$(submit_path "$output")")
  local line key folder
  if declare -F experiment_models >/dev/null; then
    line="$(experiment_models "$run")" || submit_die "$line"
    if [ -n "$line" ]; then
      [ -n "$models" ] || submit_die "--models is required: $experiment reads $(echo "$line" | cut -d= -f2 | paste -sd' ' -) from it"
      while IFS='=' read -r key folder; do
        sets+=("$key=$(submit_path "$models")/$folder")
      done <<<"$line"
    fi
  fi
  [ -z "$replicas" ] || sets+=("distributed.replicas=$replicas")

  local -a cmd=("${SPARK_HOME:+$SPARK_HOME/bin/}spark-submit" --master "$master" --deploy-mode "$mode"
    --properties-file "$(submit_path "$properties")")
  if [ -n "$replicas" ]; then
    case "$master" in
      yarn*) cmd+=(--num-executors "$replicas") ;;
      spark://*)
        local cores
        cores="$(submit_property spark.executor.cores "$properties")"
        [[ "$cores" =~ ^[0-9]+$ ]] || submit_die "--replicas on a standalone master needs spark.executor.cores in $properties (the cores of one replica)"
        cmd+=(--conf "spark.cores.max=$((replicas * cores))") ;;
    esac
  fi
  local config="$JOBS_ROOT/conf/$experiment.yaml"
  if [ "$mode" = cluster ]; then
    # the driver runs on a cluster node: the config travels with the application
    cmd+=(--files "$config")
    config="$experiment.yaml"
  fi
  cmd+=(--class narrow.cli.Main "$(submit_path "$jar")" run "$config")
  [ -z "$run" ] || cmd+=(--run "$run")
  for line in "${sets[@]}"; do cmd+=(--set "$line"); done
  cmd+=("${narrow_options[@]}")

  # the driver in client mode is spark-submit's JVM (in standalone cluster mode it inherits this
  # environment too): the native allocator settings the property files give executors
  native_memory_setup glibc || exit 2
  local -a env=()
  while IFS='=' read -r key _; do env+=("$key=${!key}"); done < <(native_memory_group glibc)

  local shown
  shown="$(printf '%q ' "${env[@]}" "${cmd[@]}")"
  echo "${shown% }"
  $print && return 0
  command -v "${cmd[0]}" >/dev/null || submit_die "${cmd[0]} not found: set SPARK_HOME or put Spark's bin/ on PATH"
  exec "${cmd[@]}"
}
