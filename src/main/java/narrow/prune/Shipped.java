package narrow.prune;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;

/**
 * A value carried through Spark as Java-serialized bytes. Spark sends RDD elements and task
 * results with {@code spark.serializer}, which is Kryo in narrow's Spark settings, and the Kryo
 * Spark ships cannot take Java records ("can't get field offset on a record class"); a plain
 * class holding a byte array goes through Kryo and Java serialization alike.
 */
final class Shipped<T extends Serializable> implements Serializable {
  private final byte[] bytes;

  private Shipped(byte[] bytes) {
    this.bytes = bytes;
  }

  static <T extends Serializable> Shipped<T> of(T value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ObjectOutputStream o = new ObjectOutputStream(out)) {
      o.writeObject(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Shipped<>(out.toByteArray());
  }

  @SuppressWarnings("unchecked")
  T get() {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
      return (T) in.readObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }
}
