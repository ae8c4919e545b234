package narrow.distributed;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;

/**
 * How the cluster manager behind a Spark master sizes an application, so that a barrier stage's
 * slot shortage is caught before the stage waits for slots that will never come, and the advice
 * names the settings that manager reads (standalone ignores {@code spark.executor.instances}).
 */
enum ClusterManager {
  LOCAL, STANDALONE, YARN, KUBERNETES, OTHER;

  static ClusterManager of(String master) {
    if (master.startsWith("local")) return LOCAL;
    if (master.startsWith("spark://")) return STANDALONE;
    if (master.equals("yarn")) return YARN;
    if (master.startsWith("k8s://")) return KUBERNETES;
    return OTHER;
  }

  /**
   * The most task slots the application can get by its settings, or empty where the cluster
   * decides: a standalone master without {@code spark.cores.max} gives every free core of every
   * worker.
   */
  OptionalInt plannedSlots(String master, SparkConf conf) {
    int taskCpus = conf.getInt("spark.task.cpus", 1);
    switch (this) {
      case LOCAL:
        return OptionalInt.of(localCores(master) / taskCpus);
      case STANDALONE: {
        if (!conf.contains("spark.cores.max")) return OptionalInt.empty();
        int coresMax = conf.getInt("spark.cores.max", 0);
        if (!conf.contains("spark.executor.cores")) {
          // one executor per worker with all its cores: no more tasks than the cores allow
          return OptionalInt.of(coresMax / taskCpus);
        }
        int perExecutor = conf.getInt("spark.executor.cores", 1);
        return OptionalInt.of(coresMax / perExecutor * tasksPerExecutor(perExecutor, conf));
      }
      case YARN:
      case KUBERNETES: {
        // both start spark.executor.instances executors (default 2) of spark.executor.cores (default 1)
        int instances = conf.getInt("spark.executor.instances", 2);
        return OptionalInt.of(instances * tasksPerExecutor(conf.getInt("spark.executor.cores", 1), conf));
      }
      default:
        return OptionalInt.empty();
    }
  }

  /** What to change so the application has {@code replicas} slots, in this manager's settings. */
  String advice(int replicas, SparkConf conf) {
    int taskCpus = conf.getInt("spark.task.cpus", 1);
    int cores = replicas * taskCpus;
    String gpus = conf.contains("spark.task.resource.gpu.amount")
        ? "; with GPUs an executor runs at most spark.executor.resource.gpu.amount / "
            + "spark.task.resource.gpu.amount tasks at once"
        : "";
    switch (this) {
      case LOCAL:
        return "set spark.master to local[" + cores + "] or more (" + replicas + " replicas x spark.task.cpus "
            + taskCpus + ")" + gpus;
      case STANDALONE:
        return "give the application " + cores + " cores (" + replicas + " replicas x spark.task.cpus " + taskCpus
            + "): spark.cores.max >= " + cores + " (unset: every free core), on workers with that many free "
            + "cores (SPARK_WORKER_CORES or --cores per worker, or more workers); with spark.executor.cores "
            + "unset an executor takes all of its worker's cores, so each worker needs spark.task.cpus free "
            + "cores per replica" + gpus;
      case YARN:
        return "make spark.executor.instances (--num-executors) x spark.executor.cores (--executor-cores) / "
            + "spark.task.cpus >= " + replicas + ", within the YARN queue's free vcores and memory" + gpus;
      case KUBERNETES:
        return "make spark.executor.instances x spark.executor.cores / spark.task.cpus >= " + replicas
            + ", within the namespace's resource quota" + gpus;
      default:
        return "give the application " + replicas + " executor cores / spark.task.cpus" + gpus;
    }
  }

  /** Tasks one executor of {@code cores} runs at once: by its cores, and by its GPUs when tasks take some. */
  private static int tasksPerExecutor(int cores, SparkConf conf) {
    int byCores = cores / conf.getInt("spark.task.cpus", 1);
    if (!conf.contains("spark.task.resource.gpu.amount")) return byCores;
    double perTask = conf.getDouble("spark.task.resource.gpu.amount", 1);
    double perExecutor = conf.getDouble("spark.executor.resource.gpu.amount", 0);
    return Math.min(byCores, (int) Math.floor(perExecutor / perTask));
  }

  /** local, local[N], local[*], local[N, maxFailures], local-cluster[executors, cores, memory]. */
  private static int localCores(String master) {
    if (master.startsWith("local-cluster")) {
      String[] parts = master.substring(master.indexOf('[') + 1, master.indexOf(']')).split(",");
      return Integer.parseInt(parts[0].trim()) * Integer.parseInt(parts[1].trim());
    }
    Matcher m = Pattern.compile("local\\[([^,\\]]+)").matcher(master);
    if (!m.find()) return 1;
    return m.group(1).trim().equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(m.group(1).trim());
  }
}
