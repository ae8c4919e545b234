package narrow.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.fs.s3a.S3AFileSystem;
import org.apache.hadoop.util.Progressable;

/**
 * The real S3A client (set as {@code fs.s3a.impl}) that also notes, in order, each object it is
 * asked to write or delete: what a test needs to see that a marker comes last. Everything is
 * done by S3A against the real server.
 */
public class RecordingS3aFileSystem extends S3AFileSystem {
  public static final List<String> EVENTS = Collections.synchronizedList(new ArrayList<>());

  /** The paths written ("write") or deleted ("delete"), in call order, from {@code prefix} on. */
  public static List<String> events(String kind, String prefix) {
    synchronized (EVENTS) {
      return EVENTS.stream().filter(e -> e.startsWith(kind + " " + prefix))
          .map(e -> e.substring(kind.length() + 1)).toList();
    }
  }

  @Override
  public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize,
      short replication, long blockSize, Progressable progress) throws IOException {
    EVENTS.add("write " + makeQualified(f));
    return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
  }

  @Override
  public void copyFromLocalFile(boolean delSrc, boolean overwrite, Path src, Path dst) throws IOException {
    EVENTS.add("write " + makeQualified(dst));
    super.copyFromLocalFile(delSrc, overwrite, src, dst);
  }

  @Override
  public boolean delete(Path f, boolean recursive) throws IOException {
    EVENTS.add("delete " + makeQualified(f));
    return super.delete(f, recursive);
  }
}
