package narrow.distributed;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.Map;
import narrow.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Local paths are refused on a cluster's master unless declared shared; remote ones always pass. */
class SharedPathsTest {
  static Map<String, String> paths(String... keyThenLocation) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < keyThenLocation.length; i += 2) m.put(keyThenLocation[i], keyThenLocation[i + 1]);
    return m;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"spark://127.0.0.1:7077", "yarn", "k8s://https://10.0.0.1:6443"})
  void aLocalPathOnAClusterIsRefusedNamingKeyPathAndWhatToDo(String master) {
    ConfigException e = assertThrows(ConfigException.class, () -> SharedPaths.check(master, false,
        paths("data.output", "s3a://bucket/tokenized", "train.output_dir", "/home/me/runs/x/d16")));
    assertEquals("train.output_dir /home/me/runs/x/d16 is a local path, which the executors of master " + master
        + " read on their own disks: put it on storage every node reaches (hdfs://, s3a://, gs://), or set "
        + "distributed.shared_filesystem: true if every node mounts it at the same path (NFS, or a cluster on "
        + "one machine)", e.getMessage());
  }

  @Test
  void everyLocalPathIsNamedAndFileUrisAreLocal() {
    ConfigException e = assertThrows(ConfigException.class, () -> SharedPaths.check("yarn", false,
        paths("data.output", "file:///data/tokenized", "train.output_dir", "gs://b/runs",
            "model.pretrained", "/models/base", "distill.teacher", "hdfs://nn/teacher")));
    assertTrue(e.getMessage().startsWith("data.output file:///data/tokenized, model.pretrained /models/base are "
        + "local paths"), e.getMessage());
  }

  @Test
  void remotePathsSharedFileSystemsAndThisMachinePass() {
    SharedPaths.check("yarn", false, paths("data.output", "s3a://b/t", "train.output_dir", "hdfs://nn/runs"));
    SharedPaths.check("spark://h:7077", true, paths("data.output", "/nfs/t"));
    for (String master : new String[] {"local", "local[2]", "local-cluster[2,1,1024]"}) {
      SharedPaths.check(master, false, paths("data.output", "/data/t"));
    }
  }
}
