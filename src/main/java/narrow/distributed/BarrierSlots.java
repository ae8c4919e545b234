package narrow.distributed;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import narrow.util.UserError;

/**
 * A barrier stage starts only when all its tasks can run at once, and Spark refuses it under
 * dynamic allocation; without this check a run that asks for more replicas than the cluster has
 * slots waits (then fails after spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures
 * retries). Checked before training starts, with the numbers and the settings to change.
 */
final class BarrierSlots {
  private BarrierSlots() {}

  static void check(SparkContext sc, int replicas) {
    SparkConf conf = sc.getConf();
    if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
      throw new UserError("distributed.replicas = " + replicas + " runs a Spark barrier stage, which "
          + "dynamic allocation does not support: set spark.dynamicAllocation.enabled=false and give "
          + "the job " + replicas + " task slots (e.g. spark.executor.instances)");
    }
    int slots = slots(sc);
    if (slots < replicas) {
      throw new UserError("distributed.replicas = " + replicas + " needs " + replicas + " task slots at "
          + "once (a barrier stage), but this Spark application has " + slots + " (master "
          + sc.master() + ", spark.task.cpus=" + conf.get("spark.task.cpus", "1") + "): lower "
          + "distributed.replicas, or raise local[N] / spark.executor.instances x spark.executor.cores "
          + "(or spark.task.resource.gpu.amount with GPUs)");
    }
  }

  /** Tasks that can run at once: local[N] cores, or the live executors' cores, over spark.task.cpus. */
  static int slots(SparkContext sc) {
    int taskCpus = sc.getConf().getInt("spark.task.cpus", 1);
    String master = sc.master();
    if (master.startsWith("local")) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("local(?:-cluster)?\\[([^,\\]]+)").matcher(master);
      int cores;
      if (!m.find() || m.group(1).equals("*")) cores = Runtime.getRuntime().availableProcessors();
      else cores = Integer.parseInt(m.group(1).trim());
      if (master.startsWith("local-cluster")) {
        // local-cluster[executors, cores per executor, memory]
        String[] parts = master.substring(master.indexOf('[') + 1, master.indexOf(']')).split(",");
        cores = Integer.parseInt(parts[0].trim()) * Integer.parseInt(parts[1].trim());
      }
      return cores / taskCpus;
    }
    int executors = Math.max(0, sc.statusTracker().getExecutorInfos().length - 1); // minus the driver
    int coresPerExecutor = sc.getConf().getInt("spark.executor.cores", 1);
    return executors * (coresPerExecutor / taskCpus);
  }
}
