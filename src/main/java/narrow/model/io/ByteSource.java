package narrow.model.io;

import java.io.IOException;
import java.io.OutputStream;

/** Bytes generated on demand into a stream, so that a large record is never held in the heap. */
@FunctionalInterface
public interface ByteSource {
  void writeTo(OutputStream out) throws IOException;
}
