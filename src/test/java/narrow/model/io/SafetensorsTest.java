package narrow.model.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import narrow.engine.DType;
import narrow.engine.Device;
import narrow.engine.TensorBytes;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path tmp;

  private static Path fixture(String model) {
    return narrow.model.Fixtures.model(model).resolve("model.safetensors");
  }

  @Test
  void readsFixtureFilesInF32AndBf16() throws IOException {
    try (TensorScope scope = new TensorScope()) {
      Map<String, Tensor> f32 = Safetensors.read(fixture("untied-mha"), Device.CPU);
      Map<String, Tensor> bf16 = Safetensors.read(fixture("tied-gqa-bf16"), Device.CPU);
      assertArrayEquals(new long[] {320, 64}, Tensors.shape(f32.get("model.embed_tokens.weight")));
      assertArrayEquals(new long[] {320, 64}, Tensors.shape(f32.get("lm_head.weight")));
      assertFalse(bf16.containsKey("lm_head.weight"));
      assertArrayEquals(new long[] {32, 64}, Tensors.shape(bf16.get("model.layers.0.self_attn.k_proj.weight")));
      assertEquals(DType.BF16,
          Safetensors.readHeader(fixture("tied-gqa-bf16")).tensors().get("model.norm.weight").dtype());
      for (Tensor a : bf16.values()) {
        assertTrue(Tensors.isFloat32(a));
        for (float v : Tensors.toFloats(a)) {
          assertEquals(0, Float.floatToRawIntBits(v) & 0xFFFF, "a bf16 value has no low bits");
        }
      }
    }
  }

  @Test
  void f32RoundTripIsBitIdenticalIncludingSpecialValues() throws IOException {
    float[] values = awkwardFloats(5000);
    try (TensorScope scope = new TensorScope()) {
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      tensors.put("b.matrix", Tensors.floats(values, 50, 100));
      tensors.put("a.vector", Tensors.floats(Arrays.copyOf(values, 7), 7));
      tensors.put("scalar", Tensors.floats(new float[] {3.25f}));
      tensors.put("empty", Tensors.floats(new float[0], 0, 4));
      Path file = tmp.resolve("x.safetensors");
      Safetensors.write(file, tensors, DType.F32, Map.of("format", "pt"));
      Map<String, Tensor> back = Safetensors.read(file, Device.CPU);
      assertEquals(List.copyOf(tensors.keySet()), List.copyOf(back.keySet()));
      for (String name : tensors.keySet()) {
        assertArrayEquals(Tensors.shape(tensors.get(name)), Tensors.shape(back.get(name)), name);
        assertBitsEqual(Tensors.toFloats(tensors.get(name)), Tensors.toFloats(back.get(name)), name);
      }
      assertEquals(Map.of("format", "pt"), Safetensors.readHeader(file).metadata());
      assertEquals(0, Safetensors.readHeader(file).dataStart() % 8, "data section aligned");
    }
  }

  @Test
  void bf16WriteRoundsToNearestEven() throws IOException {
    float[] values = awkwardFloats(4096);
    // halfway cases: low 16 bits exactly 0x8000, with an even and an odd kept part
    values[0] = Float.intBitsToFloat(0x3F808000); // even: down
    values[1] = Float.intBitsToFloat(0x3F818000); // odd: up
    values[2] = Float.intBitsToFloat(0x7F7FFFFF); // max float rounds up to inf, as in torch
    try (TensorScope scope = new TensorScope()) {
      Path file = tmp.resolve("bf16.safetensors");
      Safetensors.write(file, Map.of("w", Tensors.floats(values, 64, 64)), DType.BF16, Map.of());
      float[] back = Tensors.toFloats(Safetensors.read(file, Device.CPU).get("w"));
      assertEquals(Float.intBitsToFloat(0x3F800000), back[0]);
      assertEquals(Float.intBitsToFloat(0x3F820000), back[1]);
      assertEquals(Float.POSITIVE_INFINITY, back[2]);
      for (int i = 0; i < values.length; i++) {
        // a NaN stays a NaN; its payload is libtorch's conversion's (in hardware on AVX-512 BF16
        // CPUs, as torch's own tensor.to(torch.bfloat16) there)
        if (Float.isNaN(values[i])) {
          assertTrue(Float.isNaN(back[i]), "element " + i);
          continue;
        }
        assertEquals(nearestBf16(values[i]), Float.floatToRawIntBits(back[i]) >>> 16,
            "element " + i + " = " + values[i]);
      }
      // bf16 values survive another BF16 write unchanged
      Path again = tmp.resolve("bf16-again.safetensors");
      Safetensors.write(again, Map.of("w", Tensors.floats(back, 64, 64)), DType.BF16, Map.of());
      assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(again));
    }
  }

  @Test
  void rewritingTorchsBf16FileGivesTheSameBytes() throws IOException {
    Path torchFile = fixture("tied-gqa-bf16");
    try (TensorScope scope = new TensorScope()) {
      Path mine = tmp.resolve("rewritten.safetensors");
      Safetensors.write(mine, Safetensors.read(torchFile, Device.CPU), DType.BF16, Map.of());
      SafetensorsHeader theirs = Safetensors.readHeader(torchFile);
      SafetensorsHeader ours = Safetensors.readHeader(mine);
      byte[] a = Files.readAllBytes(torchFile);
      byte[] b = Files.readAllBytes(mine);
      for (SafetensorsHeader.TensorInfo t : theirs.tensors().values()) {
        SafetensorsHeader.TensorInfo u = ours.tensors().get(t.name());
        assertArrayEquals(
            Arrays.copyOfRange(a, (int) (theirs.dataStart() + t.begin()), (int) (theirs.dataStart() + t.end())),
            Arrays.copyOfRange(b, (int) (ours.dataStart() + u.begin()), (int) (ours.dataStart() + u.end())),
            t.name());
      }
    }
  }

  /** The bf16 closest to v (ties to even), by comparing the two candidates: independent of libtorch. */
  private static int nearestBf16(float v) {
    int bits = Float.floatToRawIntBits(v);
    if (Float.isNaN(v)) return 0x7FC0;
    int down = bits >>> 16;
    int up = down + 1;
    double dv = v;
    double dDown = Float.intBitsToFloat(down << 16);
    float upValue = Float.intBitsToFloat(up << 16);
    if ((bits & 0xFFFF) == 0) return down;
    // above the largest finite bf16 the next one up is infinity: compare as if it were 2^128
    double dUp = Float.isInfinite(upValue) ? Math.copySign(0x1p128, dv) : upValue;
    double distDown = Math.abs(dv - dDown);
    double distUp = Math.abs(dUp - dv);
    if (distDown < distUp) return down;
    if (distUp < distDown) return up;
    return (down & 1) == 0 ? down : up;
  }

  @Test
  void readsF16() throws IOException {
    // 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal), -0, inf, 0.333251953125
    short[] halves = {0x3C00, (short) 0xC000, 0x7BFF, 0x0001, (short) 0x8000, 0x7C00, 0x3555};
    float[] expected = {1f, -2f, 65504f, 0x1p-24f, -0f, Float.POSITIVE_INFINITY, 0.333251953125f};
    ByteBuffer data = ByteBuffer.allocate(halves.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (short h : halves) data.putShort(h);
    Path file = rawFile("{\"h\":{\"dtype\":\"F16\",\"shape\":[7],\"data_offsets\":[0,14]}}",
        data.array());
    try (TensorScope scope = new TensorScope()) {
      assertBitsEqual(expected, Tensors.toFloats(Safetensors.read(file, Device.CPU).get("h")), "f16");
    }
  }

  @Test
  void tensorsLargerThanOneChunkAreReadInPieces() throws IOException {
    int rows = (TensorBytes.CHUNK_BYTES / 4) / 1000 * 2 + 3; // a little over two chunks
    float[] values = new float[rows * 1000];
    Random random = new Random(7);
    for (int i = 0; i < values.length; i++) values[i] = (float) random.nextGaussian();
    try (TensorScope scope = new TensorScope()) {
      Path file = tmp.resolve("big.safetensors");
      Safetensors.write(file, Map.of("w", Tensors.floats(values, rows, 1000)), DType.F32,
          Map.of());
      Tensor back = Safetensors.read(file, Device.CPU).get("w");
      assertArrayEquals(new long[] {rows, 1000}, Tensors.shape(back));
      assertBitsEqual(values, Tensors.toFloats(back), "chunked");
    }
  }

  @Test
  void readsATensorBeyondTwoGigabytesInASparseFile() throws IOException {
    long gapBytes = 2_200_000_000L; // an all-zero tensor nobody reads, kept sparse on disk
    String header = "{\"gap\":{\"dtype\":\"U8\",\"shape\":[" + gapBytes + "],\"data_offsets\":[0,"
        + gapBytes + "]},\"tail\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[" + gapBytes
        + "," + (gapBytes + 12) + "]}}";
    Path file = tmp.resolve("sparse.safetensors");
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length);
      raf.write(head.array());
      raf.write(json);
      long tail = 8 + json.length + gapBytes;
      raf.seek(tail);
      ByteBuffer floats = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      floats.putFloat(1.5f).putFloat(-2.25f).putFloat(1e-30f);
      raf.write(floats.array());
    }
    try (TensorScope scope = new TensorScope()) {
      Tensor tail = Safetensors.readTensor(file, "tail", Device.CPU);
      assertBitsEqual(new float[] {1.5f, -2.25f, 1e-30f}, Tensors.toFloats(tail), "tail");
      IOException e = assertThrows(IOException.class, () -> Safetensors.readTensor(file, "gap", Device.CPU));
      assertTrue(e.getMessage().contains("'gap'") && e.getMessage().contains("U8"), e.getMessage());
    }
  }

  @Test
  void shardedCheckpointWritesAnIndexAndReadsBack() throws IOException {
    try (TensorScope scope = new TensorScope()) {
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      for (int i = 0; i < 5; i++) {
        tensors.put("layer." + i + ".weight", Tensors.normalMatrix(32, 16, 1.0, -1, new java.util.SplittableRandom(i), Device.CPU));
      }
      Path dir = Files.createDirectories(tmp.resolve("ckpt"));
      Safetensors.writeCheckpoint(dir, tensors, DType.F32, 32 * 16 * 4 * 2); // two per shard
      assertFalse(Files.exists(dir.resolve(Safetensors.SINGLE_FILE)));
      assertTrue(Files.exists(dir.resolve("model-00003-of-00003.safetensors")));
      Map<String, String> index = Safetensors.readIndex(dir.resolve(Safetensors.INDEX_FILE));
      assertEquals("model-00001-of-00003.safetensors", index.get("layer.1.weight"));
      assertEquals("model-00003-of-00003.safetensors", index.get("layer.4.weight"));
      Map<String, Tensor> back = Safetensors.readCheckpoint(dir, Device.CPU);
      assertEquals(tensors.keySet(), back.keySet());
      for (String name : tensors.keySet()) {
        assertBitsEqual(Tensors.toFloats(tensors.get(name)), Tensors.toFloats(back.get(name)), name);
      }
      // an index naming a shard outside the folder is refused
      Files.writeString(dir.resolve(Safetensors.INDEX_FILE),
          "{\"weight_map\":{\"x\":\"../../etc/passwd\"}}");
      Files.delete(dir.resolve("model-00001-of-00003.safetensors"));
      IOException e = assertThrows(IOException.class, () -> Safetensors.readCheckpoint(dir, Device.CPU));
      assertTrue(e.getMessage().contains("bad shard name"), e.getMessage());
    }
  }

  // ---------------------------------------------------------------- hostile headers

  @Test
  void rejectsHugeHeaderLength() throws IOException {
    Path file = tmp.resolve("huge.safetensors");
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE);
    Files.write(file, b.array());
    assertRejected(file, "header length");
    b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(50_000_000L); // < limit, > file
    Files.write(file, b.array());
    assertRejected(file, "past the end of the file");
    b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-8);
    Files.write(file, b.array());
    assertRejected(file, "header length -8");
  }

  @Test
  void rejectsTruncatedFiles() throws IOException {
    Path tiny = tmp.resolve("tiny.safetensors");
    Files.write(tiny, new byte[] {1, 2, 3});
    assertRejected(tiny, "truncated");
    Path cut = rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[12]);
    assertRejected(cut, "tensor 'w'", "run past the data section");
  }

  @Test
  void rejectsNonJsonAndNonObjects() throws IOException {
    assertRejected(rawFile("{\"w\": [not json", new byte[0]), "not valid JSON");
    assertRejected(rawFile("[1, 2, 3]", new byte[0]), "not a JSON object");
    assertRejected(rawFile("{} trailing", new byte[0]), "not valid JSON");
    assertRejected(rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
        "not valid JSON");
    assertRejected(rawFile("{\"__metadata__\":{\"a\":1}}", new byte[0]), "__metadata__");
  }

  @Test
  void rejectsUnknownDtype() throws IOException {
    assertRejected(rawFile("{\"w\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        new byte[4]), "tensor 'w'", "unknown dtype 'F33'");
  }

  @Test
  void rejectsShapeThatDisagreesWithBytes() throws IOException {
    assertRejected(rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,16]}}",
        new byte[16]), "tensor 'w'", "needs 24 bytes");
    assertRejected(rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],"
        + "\"data_offsets\":[0,16]}}", new byte[16]), "tensor 'w'", "overflows");
    assertRejected(rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
        new byte[4]), "tensor 'w'", "not a non-negative integer");
    assertRejected(rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}",
        new byte[4]), "tensor 'w'", "not a non-negative integer");
  }

  @Test
  void rejectsNegativeOverlappingAndGappedOffsets() throws IOException {
    assertRejected(rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}",
        new byte[4]), "tensor 'w'", "negative or reversed");
    assertRejected(rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]),
        "tensor 'b'", "overlap");
    assertRejected(rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12]),
        "tensor 'b'", "gap");
    assertRejected(rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        new byte[12]), "cover 4");
    assertRejected(rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}",
        new byte[4]), "tensor 'a'", "data_offsets");
  }

  // ---------------------------------------------------------------- helpers

  private Path rawFile(String header, byte[] data) throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(json.length).put(json).put(data);
    Path file = Files.createTempFile(tmp, "hostile", ".safetensors");
    Files.write(file, b.array());
    return file;
  }

  private static void assertRejected(Path file, String... mustMention) {
    try (TensorScope scope = new TensorScope()) {
      IOException e = assertThrows(IOException.class, () -> Safetensors.read(file, Device.CPU));
      assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
      for (String s : mustMention) {
        assertTrue(e.getMessage().contains(s), "'" + s + "' not in: " + e.getMessage());
      }
    }
  }

  private static float[] awkwardFloats(int n) {
    Random random = new Random(42);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = Float.intBitsToFloat(random.nextInt());
    v[3] = Float.NaN;
    v[4] = Float.POSITIVE_INFINITY;
    v[5] = -0.0f;
    v[6] = Float.MIN_VALUE;
    return v;
  }

  private static void assertBitsEqual(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
          what + " element " + i);
    }
  }
}
