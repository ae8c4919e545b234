package narrow.distributed;

/**
 * Where a run trains, decided from the Spark master alone so that it is known before a session
 * starts.
 */
public final class Placement {
  private Placement() {}

  /**
   * Whether the replicas train as tasks on executors rather than in this JVM. Two or more always
   * do (a barrier stage). One does on a cluster: in client mode the driver is the submitting host
   * (a laptop, an EMR primary node without a GPU), in cluster mode it shares a worker with
   * executors and would take all its cores, so the replica gets an executor's slot like any
   * other. On {@code local}/{@code local[N]} the only executor lives in this JVM: a task would
   * add a Spark job and nothing else, so one replica trains here as it always has.
   * {@code local-cluster[…]} has executors of its own, so it counts as a cluster.
   */
  public static boolean onExecutors(String master, int replicas) {
    return replicas > 1 || !inThisJvm(master);
  }

  /** {@code local} or {@code local[…]}: the executor is the driver's JVM. */
  static boolean inThisJvm(String master) {
    return master.equals("local") || master.startsWith("local[");
  }

  /**
   * Whether every executor sees the driver's local disk: the executors run on this machine
   * ({@code local…}, {@code local-cluster[…]}).
   */
  static boolean onThisMachine(String master) {
    return master.startsWith("local");
  }
}
