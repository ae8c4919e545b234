package narrow.config;

/**
 * The {@code distributed:} section: how many data-parallel replicas train one run, as the
 * replicas' barrier stage takes it (shipped to the executors as it is).
 *
 * @param replicas replicas (Spark barrier tasks, one GPU or {@code spark.task.cpus} cores each);
 *     1 trains in the driver on a {@code local[N]} master, on an executor on a cluster
 * @param timeoutSeconds how long a collective (or the rendezvous) waits for a replica before the
 *     run fails: a lost executor then ends the stage instead of hanging it
 * @param checkEvery optimizer steps between checks that all replicas hold identical parameters
 *     (0: never)
 * @param overlap all-reduce gradients during backward, bucket by bucket as backward produces them
 *     (PyTorch DDP's reducer), or after it (the same numbers); unset: during on GPUs, after on CPUs,
 *     where the all-reduce needs the very cores backward is using (measured with {@code bench
 *     distributed}: overlapped 2-replica steps were 22% slower on 2 cores)
 * @param sharedFilesystem local paths (shards, output_dir, models) are on a file system every node
 *     mounts at the same path (NFS, a cluster on one machine), so a cluster's executors may use them
 * @param executorWaitSeconds how long the run waits for executors to register before it refuses
 *     to start for want of task slots: a cluster's executors register seconds after the
 *     application starts (default 120)
 */
public record DistributedConfig(Integer replicas, Integer timeoutSeconds, Integer checkEvery, Boolean overlap,
    Boolean sharedFilesystem, Integer executorWaitSeconds) implements java.io.Serializable {
  @com.fasterxml.jackson.annotation.JsonCreator
  public DistributedConfig {
    replicas = replicas == null ? 1 : replicas;
    sharedFilesystem = sharedFilesystem != null && sharedFilesystem;
    timeoutSeconds = timeoutSeconds == null ? 600 : timeoutSeconds;
    checkEvery = checkEvery == null ? 100 : checkEvery;
    executorWaitSeconds = executorWaitSeconds == null ? 120 : executorWaitSeconds;
  }

  /** Replicas as the tests build them: local paths refused on a cluster. */
  public DistributedConfig(Integer replicas, Integer timeoutSeconds, Integer checkEvery, Boolean overlap) {
    this(replicas, timeoutSeconds, checkEvery, overlap, null, null);
  }

  /** How long a collective waits for a replica. */
  public java.time.Duration timeout() {
    return java.time.Duration.ofSeconds(timeoutSeconds);
  }

  /** How long to wait for enough executors. */
  public java.time.Duration executorWait() {
    return java.time.Duration.ofSeconds(executorWaitSeconds);
  }

  static DistributedConfig defaults() {
    return new DistributedConfig(null, null, null, null, null, null);
  }

  void validate(ConfigErrors errors) {
    if (replicas < 1) errors.add("distributed.replicas", "must be >= 1, got " + replicas);
    if (timeoutSeconds < 1) errors.add("distributed.timeout_seconds", "must be >= 1, got " + timeoutSeconds);
    if (executorWaitSeconds < 0) {
      errors.add("distributed.executor_wait_seconds", "must be >= 0, got " + executorWaitSeconds);
    }
    if (checkEvery < 0) errors.add("distributed.check_every", "must be >= 0 (0 = never), got " + checkEvery);
  }
}
