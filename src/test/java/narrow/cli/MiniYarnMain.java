package narrow.cli;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * Hadoop's MiniYARNCluster (a ResourceManager and NodeManagers) in a JVM of its own, for
 * {@link YarnCluster}: {@code MiniYarnMain CONF_DIR NODE_MANAGERS MB_PER_NODE}. It writes the
 * cluster's {@code yarn-site.xml} into CONF_DIR once the ResourceManager listens (what
 * HADOOP_CONF_DIR holds on a real cluster's edge node) and runs until its standard input closes,
 * so it ends with the test JVM however that ends.
 */
public final class MiniYarnMain {
  private MiniYarnMain() {}

  public static void main(String[] args) throws Exception {
    Path confDir = Path.of(args[0]);
    int nodeManagers = Integer.parseInt(args[1]);
    YarnConfiguration conf = new YarnConfiguration();
    // the settings Spark's own YarnClusterSuite needs: the minicluster jar has no capacity-scheduler.xml,
    // and a nearly full disk must not mark the only node unhealthy
    conf.set("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", "100.0");
    conf.set("yarn.scheduler.capacity.root.queues", "default");
    conf.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
    conf.setFloat("yarn.scheduler.capacity.root.default.user-limit-factor", 1);
    conf.setInt("yarn.scheduler.capacity.root.default.maximum-capacity", 100);
    conf.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
    conf.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
    conf.set("yarn.scheduler.capacity.root.default.acl_administer_queue", "*");
    conf.setInt("yarn.scheduler.capacity.node-locality-delay", -1);
    conf.set(YarnConfiguration.RM_HOSTNAME, "127.0.0.1");
    // containers are sized as on a real cluster (memory + overhead); the physical memory check stays
    // on, the virtual one (a JVM reserves far more than it uses) is off as EMR and Dataproc have it
    conf.setInt(YarnConfiguration.NM_PMEM_MB, Integer.parseInt(args[2]));
    conf.setInt(YarnConfiguration.NM_VCORES, 2);
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
    conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
    MiniYARNCluster cluster = new MiniYARNCluster("narrow", 1, nodeManagers, 1, 1);
    try {
      cluster.init(conf);
      cluster.start();
      if (!cluster.waitForNodeManagersToConnect(60_000)) throw new IllegalStateException("NodeManagers did not connect");
      // start() may return before the ResourceManager has put its bound port into the configuration
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (cluster.getConfig().get(YarnConfiguration.RM_ADDRESS).endsWith(":0")) {
        if (System.nanoTime() > deadline) throw new IllegalStateException("the ResourceManager has no port");
        Thread.sleep(100);
      }
      Path tmp = confDir.resolve("yarn-site.xml.tmp");
      try (OutputStream out = Files.newOutputStream(tmp)) {
        cluster.getConfig().writeXml(out);
      }
      Files.move(tmp, confDir.resolve("yarn-site.xml"), StandardCopyOption.ATOMIC_MOVE);
      while (System.in.read() >= 0) {
        // wait for the test JVM to close the pipe (or die)
      }
    } catch (Throwable e) {
      // the cluster's service threads would keep this JVM up with nobody using it
      e.printStackTrace();
      Runtime.getRuntime().halt(1);
    } finally {
      cluster.stop();
    }
    System.exit(0);
  }
}
