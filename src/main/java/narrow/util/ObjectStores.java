package narrow.util;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.apache.hadoop.fs.s3a.CredentialInitializationException;
import org.apache.hadoop.fs.s3a.S3AUtils;

/**
 * The file system of a location, reached once before it is used: an object store that cannot be
 * reached, or no credentials for it, is then one line that names the location, the endpoint and
 * the settings to check, instead of an SDK trace somewhere later in the run.
 */
public final class ObjectStores {
  private ObjectStores() {}

  /**
   * {@code path}'s file system; for {@code s3a://} after a first request (whether {@code path}
   * exists), so that a store out of reach fails here.
   *
   * @throws UserError when the store refuses the connection, its host is unknown, the connection
   *     times out, or no credentials are found
   */
  public static FileSystem reach(Path path, Configuration conf) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    if (!"s3a".equals(fs.getScheme())) return fs;
    try {
      fs.exists(path);
    } catch (IOException | RuntimeException e) {
      UserError explained = explain(path, conf, e);
      if (explained != null) throw explained;
      throw e;
    }
    return fs;
  }

  /**
   * The file system of {@code path} ({@link Locations#hadoopPath} of {@code location}) to read and
   * write a run's or a model's folders: the raw local one for {@code file:} (the checksummed one
   * leaves a .crc file beside each file it writes), else {@link #reach}.
   *
   * @throws UserError when no Hadoop file system on the classpath serves the scheme
   */
  public static FileSystem fileSystem(Path path, String location, Configuration conf) throws IOException {
    try {
      if ("file".equals(path.toUri().getScheme())) return FileSystem.getLocal(conf).getRaw();
      return reach(path, conf);
    } catch (UnsupportedFileSystemException e) {
      throw new UserError("cannot reach " + location + ": no Hadoop file system for its scheme on the "
          + "classpath (s3a:// is built in; gs:// needs the GCS connector, which Dataproc images have)", e);
    }
  }

  /** A user error for an s3a failure that is a setting's fault, or null. */
  static UserError explain(Path path, Configuration conf, Throwable e) {
    String bucket = path.toUri().getHost();
    Configuration effective = bucket == null ? conf : S3AUtils.propagateBucketOptions(conf, bucket);
    String configured = effective.getTrimmed("fs.s3a.endpoint", "");
    String endpoint = configured.isEmpty() ? "the default AWS S3 endpoint (fs.s3a.endpoint is not set)"
        : "endpoint " + configured;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof CredentialInitializationException || profileFileMissing(t)) {
        return new UserError("no AWS credentials for " + path + " at " + endpoint + ": none of the "
            + "providers in fs.s3a.aws.credentials.provider found any; give them as the Spark properties "
            + "spark.hadoop.fs.s3a.access.key and spark.hadoop.fs.s3a.secret.key, or the environment "
            + "variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials "
            + "(AWS_PROFILE), or an instance role", e);
      }
      String why = unreachable(t);
      if (why != null) {
        return new UserError("cannot reach " + path + " at " + endpoint + ": " + why + " (after "
            + effective.get("fs.s3a.retry.limit") + " retries); check spark.hadoop.fs.s3a.endpoint, "
            + "fs.s3a.path.style.access and fs.s3a.connection.ssl.enabled in the Spark properties and that "
            + "the store is up (retries: fs.s3a.retry.limit, fs.s3a.attempts.maximum)", e);
      }
    }
    return null;
  }

  private static String unreachable(Throwable t) {
    if (t instanceof ConnectException) return "connection refused";
    if (t instanceof UnknownHostException) return "unknown host " + t.getMessage();
    if (t instanceof NoRouteToHostException) return "no route to host";
    // the SDK's ConnectTimeoutException (shaded Apache HttpClient) is an InterruptedIOException
    if (t instanceof SocketTimeoutException || t instanceof InterruptedIOException
        && t.getClass().getSimpleName().equals("ConnectTimeoutException")) {
      return "connection timed out";
    }
    return null;
  }

  /**
   * The SDK's ProfileCredentialsProvider throws this instead of reporting no credentials when
   * there is no ~/.aws/credentials, which ends the provider chain.
   */
  private static boolean profileFileMissing(Throwable t) {
    return t instanceof IllegalArgumentException && "profile file cannot be null".equals(t.getMessage());
  }
}
