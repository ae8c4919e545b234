package narrow.model.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import narrow.engine.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@narrow.Slow
class TorchSaveTest {
  @TempDir Path tmp;

  static Map<String, Object> sample() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("learning_rate", 5e-4);
    m.put("max_steps", 100000);
    m.put("seed", 42L);
    m.put("big", 1L << 40);
    m.put("negative", -3);
    m.put("output_dir", "runs/ü");
    m.put("bf16", false);
    m.put("do_train", true);
    m.put("resume_from_checkpoint", null);
    m.put("report_to", List.of("none"));
    return m;
  }

  /** Every record stored, 64-byte aligned data, CRCs right, names as torch writes them. */
  @Test
  void zipLayoutIsTorchs() throws IOException {
    Map<String, Object> m = sample();
    m.put("mask", TorchSave.Tensor.ofBooleans(new boolean[] {true, false, true, true, false, false}, 2, 3));
    m.put("scores", TorchSave.Tensor.ofFloats(new float[] {1.5f, -2f, 3f}, 3));
    Path file = tmp.resolve("x.pt");
    TorchSave.save(m, file);
    byte[] all = Files.readAllBytes(file);

    List<String> names = new ArrayList<>();
    Map<String, byte[]> contents = new LinkedHashMap<>();
    try (ZipInputStream zin = new ZipInputStream(Files.newInputStream(file))) {
      for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
        assertEquals(ZipEntry.STORED, e.getMethod(), e.getName());
        names.add(e.getName());
        contents.put(e.getName(), zin.readAllBytes()); // ZipInputStream checks the CRC
      }
    }
    assertEquals(List.of("archive/data.pkl", "archive/byteorder", "archive/data/0",
        "archive/data/1", "archive/version"), names);
    assertEquals("little", new String(contents.get("archive/byteorder"), StandardCharsets.US_ASCII));
    assertEquals("3\n", new String(contents.get("archive/version"), StandardCharsets.US_ASCII));
    assertArrayEquals(new byte[] {1, 0, 1, 1, 0, 0}, contents.get("archive/data/0"));
    ByteBuffer f = ByteBuffer.wrap(contents.get("archive/data/1")).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(-2f, f.getFloat(4));

    // walk the local headers: each entry's data starts on a 64-byte boundary
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    int pos = 0;
    int seen = 0;
    while (b.getInt(pos) == 0x04034b50) {
      int size = b.getInt(pos + 18);
      int nameLen = b.getShort(pos + 26) & 0xffff;
      int extraLen = b.getShort(pos + 28) & 0xffff;
      int data = pos + 30 + nameLen + extraLen;
      assertEquals(0, data % 64, "alignment of entry " + seen);
      pos = data + size;
      seen++;
    }
    assertEquals(5, seen);
    byte[] pkl = contents.get("archive/data.pkl");
    String text = new String(pkl, StandardCharsets.ISO_8859_1);
    assertTrue(text.contains("ctorch._utils\n_rebuild_tensor_v2\n"));
    assertTrue(text.contains("ctorch\nBoolStorage\n"));
    assertTrue(text.contains("ctorch\nFloatStorage\n"));
  }

  /** The pickle bytes of a small dict, opcode by opcode (protocol 2, no memo). */
  @Test
  void pickleOpcodes() throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("a", 300);
    m.put("b", 0.5);
    m.put("c", null);
    m.put("d", true);
    TorchSave.Pickler p = new TorchSave.Pickler();
    p.value(m);
    ByteArrayOutputStream want = new ByteArrayOutputStream();
    want.writeBytes(new byte[] {'}', '('});
    want.writeBytes(new byte[] {'X', 1, 0, 0, 0, 'a', 'M', 0x2c, 0x01});
    want.writeBytes(new byte[] {'X', 1, 0, 0, 0, 'b', 'G', 0x3f, (byte) 0xe0, 0, 0, 0, 0, 0, 0});
    want.writeBytes(new byte[] {'X', 1, 0, 0, 0, 'c', 'N'});
    want.writeBytes(new byte[] {'X', 1, 0, 0, 0, 'd', (byte) 0x88});
    want.write('u');
    assertArrayEquals(want.toByteArray(), p.bytes.toByteArray());
  }

  @Test
  void tensorOfWrongSizeIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> new TorchSave.Tensor(DType.F32, new long[] {2, 2}, new byte[12]));
  }

  /**
   * The real check: PyTorch's weights-only loader reads it back, values and dtypes intact. Torch
   * 1.13's weights-only unpickler lacks BINFLOAT (torch 2.0 added it), so there a file with Python
   * floats is read with the full unpickler and only the float-free file proves weights_only.
   */
  @Test
  void torchLoadsItWeightsOnly() throws Exception {
    PythonTorch.assumeAvailable("TorchSaveTest: torch.load(weights_only=True) of .pt files");
    Map<String, Object> m = sample();
    m.put("mask", TorchSave.Tensor.ofBooleans(new boolean[] {true, false, true, true, false, false}, 2, 3));
    m.put("scores", TorchSave.Tensor.ofFloats(new float[] {1.5f, -2f, 3f}, 3));
    m.put("scalar", TorchSave.Tensor.ofFloats(new float[] {7f}));
    m.put("ids", TorchSave.Tensor.ofLongs(new long[] {128000, -1}, 2));
    Map<String, Object> noFloats = new LinkedHashMap<>(m);
    noFloats.remove("learning_rate");
    Path withFloats = tmp.resolve("training_args.bin");
    Path floatFree = tmp.resolve("pruning_mask.pt");
    TorchSave.save(m, withFloats);
    TorchSave.save(noFloats, floatFree);

    var floatFreeJson = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
        PythonTorch.run(LOAD, floatFree.toString()));
    assertEquals("weights_only", floatFreeJson.get("_mode").asText());
    assertTensorsAndScalars(floatFreeJson);

    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
        PythonTorch.run(LOAD, withFloats.toString()));
    if (json.get("_torch_major").asInt() >= 2) assertEquals("weights_only", json.get("_mode").asText());
    assertEquals(5e-4, json.get("learning_rate").asDouble());
    assertTensorsAndScalars(json);
  }

  /**
   * A streamed tensor is written as the same bytes as a held one; with zip64 forced on for every
   * size and offset (what a mask past 4 GiB gets), Java's zip reader, Python's zipfile and
   * torch.load(weights_only=True) read the same archive, data still 64-byte aligned.
   */
  @Test
  void streamedTensorsAndZip64ReadBack() throws Exception {
    float[] values = new float[1000];
    for (int i = 0; i < values.length; i++) values[i] = i * 0.5f;
    TorchSave.Tensor held = TorchSave.Tensor.ofFloats(values, 10, 100);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("held", held);
    m.put("streamed", new StreamedTensor(DType.F32, new long[] {10, 100},
        out -> {
          for (int r = 0; r < 10; r++) out.write(held.data(), r * 400, 400); // row by row
        }));
    m.put("ids", TorchSave.Tensor.ofLongs(new long[] {128000, -1}, 2));
    Path plain = tmp.resolve("plain.pt");
    Path zip64 = tmp.resolve("zip64.pt");
    TorchSave.save(m, plain);
    TorchSave.save(m, zip64, 0);
    for (Path f : List.of(plain, zip64)) {
      try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(f.toFile())) {
        byte[] a = z.getInputStream(z.getEntry("archive/data/0")).readAllBytes();
        byte[] b = z.getInputStream(z.getEntry("archive/data/1")).readAllBytes();
        assertArrayEquals(held.data(), a, f.toString());
        assertArrayEquals(held.data(), b, f.toString());
      }
    }
    assertTrue(Files.size(zip64) > Files.size(plain), "zip64 fields were written");
    PythonTorch.assumeAvailable("TorchSaveTest: zip64 .pt files read by torch.load and Python's zipfile");
    String out = PythonTorch.run("""
        import sys, zipfile, torch
        z = zipfile.ZipFile(sys.argv[1])
        for i in z.infolist():
            assert i.header_offset >= 0 and z.read(i.filename) is not None
        with open(sys.argv[1], 'rb') as f:
            raw = f.read()
        for i in z.infolist():
            if '/data/' in i.filename:
                start = raw.index(z.read(i.filename)[:16], i.header_offset)
                assert start % 64 == 0, (i.filename, start)
        d = torch.load(sys.argv[1], weights_only=True)
        assert torch.equal(d['held'], d['streamed']) and d['streamed'].shape == (10, 100)
        print(float(d['streamed'].sum()), d['ids'].tolist())
        """, zip64.toString());
    assertEquals("249750.0 [128000, -1]", out);
  }

  static final String LOAD = String.join("\n",
      "import sys, json, pickle, torch",
      "major = int(torch.__version__.split('.')[0])",
      "try:",
      "    d = torch.load(sys.argv[1], weights_only=True); mode = 'weights_only'",
      "except pickle.UnpicklingError as e:",
      "    if major >= 2 or 'Unsupported operand 71' not in str(e): raise",
      "    d = torch.load(sys.argv[1], weights_only=False); mode = 'full'",
      "def conv(v):",
      "    if isinstance(v, torch.Tensor): return {'dtype': str(v.dtype), 'shape': list(v.shape), 'values': v.flatten().tolist()}",
      "    return v",
      "out = {k: conv(v) for k, v in d.items()}",
      "out['_mode'] = mode; out['_torch_major'] = major",
      "print(json.dumps(out, ensure_ascii=True))");

  static void assertTensorsAndScalars(com.fasterxml.jackson.databind.JsonNode json) {
    assertEquals(100000, json.get("max_steps").asInt());
    assertEquals(1L << 40, json.get("big").asLong());
    assertEquals(-3, json.get("negative").asInt());
    assertEquals("runs/ü", json.get("output_dir").asText());
    assertFalse(json.get("bf16").asBoolean());
    assertTrue(json.get("do_train").asBoolean());
    assertTrue(json.get("resume_from_checkpoint").isNull());
    assertEquals("none", json.get("report_to").get(0).asText());
    assertEquals("torch.bool", json.get("mask").get("dtype").asText());
    assertEquals("[2,3]", json.get("mask").get("shape").toString());
    assertEquals("[true,false,true,true,false,false]", json.get("mask").get("values").toString());
    assertEquals("torch.float32", json.get("scores").get("dtype").asText());
    assertEquals("[1.5,-2.0,3.0]", json.get("scores").get("values").toString());
    assertEquals("[]", json.get("scalar").get("shape").toString());
    assertEquals("[7.0]", json.get("scalar").get("values").toString());
    assertEquals("torch.int64", json.get("ids").get("dtype").asText());
    assertEquals("[128000,-1]", json.get("ids").get("values").toString());
  }
}
