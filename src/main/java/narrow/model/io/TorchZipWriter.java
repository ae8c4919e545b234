package narrow.model.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * The zip container of PyTorch's serialization format ({@code PyTorchStreamWriter}): stored
 * (uncompressed) entries whose data starts on a 64-byte boundary, the padding carried in a
 * local-header extra field with id {@code "FB"} as torch writes it. No zip64: entries and the
 * whole file stay under 4 GiB, and larger input is refused rather than written corrupt.
 */
public final class TorchZipWriter implements AutoCloseable {
  static final int ALIGNMENT = 64;
  private static final long LIMIT = 0xFFFF_FFFFL;
  private static final int FB_EXTRA_ID = 0x4246; // "FB"

  private record Entry(byte[] name, long crc, long size, long headerOffset) {}

  private final OutputStream out;
  private final List<Entry> entries = new ArrayList<>();
  private long position;
  private boolean closed;

  public TorchZipWriter(Path file) throws IOException {
    this.out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
  }

  /** Adds one stored record, e.g. {@code archive/data.pkl}. */
  public void add(String name, byte[] data) throws IOException {
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    if (position + data.length + nameBytes.length + 200L > LIMIT) {
      throw new IOException("torch zip over 4 GiB is not supported (entry " + name + ")");
    }
    CRC32 crc = new CRC32();
    crc.update(data);
    long headerOffset = position;
    // data offset = header(30) + name + extra(4 + padding); pad it up to the alignment
    long unpadded = headerOffset + 30 + nameBytes.length + 4;
    int padding = (int) ((ALIGNMENT - unpadded % ALIGNMENT) % ALIGNMENT);
    ByteBuffer h = le(30 + nameBytes.length + 4 + padding);
    h.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) 0) // stored
        .putShort((short) 0).putShort((short) 0x21) // DOS time 00:00, date 1980-01-01
        .putInt((int) crc.getValue()).putInt(data.length).putInt(data.length)
        .putShort((short) nameBytes.length).putShort((short) (4 + padding))
        .put(nameBytes).putShort((short) FB_EXTRA_ID).putShort((short) padding);
    for (int i = 0; i < padding; i++) h.put((byte) 'Z');
    write(h.array());
    write(data);
    entries.add(new Entry(nameBytes, crc.getValue(), data.length, headerOffset));
  }

  private void write(byte[] bytes) throws IOException {
    out.write(bytes);
    position += bytes.length;
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Writes the central directory and closes the file. */
  @Override
  public void close() throws IOException {
    if (closed) return;
    closed = true;
    try (out) {
      long centralStart = position;
      for (Entry e : entries) {
        ByteBuffer c = le(46 + e.name().length);
        c.putInt(0x02014b50).putShort((short) 20).putShort((short) 20).putShort((short) 0)
            .putShort((short) 0).putShort((short) 0).putShort((short) 0x21)
            .putInt((int) e.crc()).putInt((int) e.size()).putInt((int) e.size())
            .putShort((short) e.name().length).putShort((short) 0).putShort((short) 0)
            .putShort((short) 0).putShort((short) 0).putInt(0).putInt((int) e.headerOffset())
            .put(e.name());
        write(c.array());
      }
      long centralSize = position - centralStart;
      if (position > LIMIT || entries.size() > 0xFFFF) {
        throw new IOException("torch zip too large for the non-zip64 format");
      }
      ByteBuffer end = le(22);
      end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0)
          .putShort((short) entries.size()).putShort((short) entries.size())
          .putInt((int) centralSize).putInt((int) centralStart).putShort((short) 0);
      write(end.array());
    }
  }
}
