package narrow.data.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A byte-level BPE encoder in plain Java that gives exactly the ids of Hugging Face's tokenizer
 * for the Llama-3 tokenizer.json ({@link HfOracleEncoder}), several times faster. The pipeline
 * is Hugging Face's: added tokens matched literally, then the pre-tokenizer's pieces
 * ({@link LlamaPreTokenizer}), each as UTF-8 bytes; a piece that is a token is emitted whole
 * (the model's {@code ignore_merges}), any other is byte-pair merged ({@link BytePairMerger}).
 *
 * <p>Not thread-safe (scratch buffers); one per task thread. The tables are built once per
 * instance, in well under two seconds.
 */
public final class FastBpeEncoder implements TokenEncoder {
  private final TokenizerInfo info;
  private final TokenTable tokens;
  private final SpecialTokenMatcher specials;
  private final BytePairMerger merger;
  private final Map<Integer, byte[]> addedTokenBytes = new HashMap<>();
  private final boolean ignoreMerges;
  private byte[] pieceBytes = new byte[256];

  public FastBpeEncoder(Path tokenizerJson) {
    this(TokenizerJson.load(tokenizerJson));
  }

  private FastBpeEncoder(TokenizerJson json) {
    Path file = json.info().file();
    this.info = json.info();
    this.ignoreMerges = json.ignoreMerges();
    this.tokens = tokenTable(file, json.vocab());
    json.addedTokens().forEach((content, id) ->
        addedTokenBytes.put(id, content.getBytes(StandardCharsets.UTF_8)));
    this.specials = new SpecialTokenMatcher(json.addedTokens());
    this.merger = new BytePairMerger(mergeTable(file, json), byteIds(file, tokens));
  }

  @Override
  public int[] encode(String text) {
    String seen = LoneSurrogates.asOracleSees(text);
    IdList out = new IdList();
    int segmentStart = 0;
    int n = seen.length();
    for (int i = 0; i < n; i++) {
      SpecialTokenMatcher.Match special = specials.longestAt(seen, i, n);
      if (special == null) continue;
      encodeOrdinary(seen, segmentStart, i, out);
      out.add(special.id());
      segmentStart = i + special.length();
      i = segmentStart - 1;
    }
    encodeOrdinary(seen, segmentStart, n, out);
    return out.toArray();
  }

  /** The text the ids stand for; bytes that are not valid UTF-8 read as U+FFFD. */
  public String decode(int[] ids) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
    for (int id : ids) {
      byte[] added = addedTokenBytes.get(id);
      bytes.writeBytes(added != null ? added : tokens.bytesOf(id));
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Override
  public TokenizerInfo info() {
    return info;
  }

  @Override
  public String name() {
    return "fast";
  }

  /** Text between special tokens: pre-tokenize, then each piece to ids. */
  private void encodeOrdinary(String text, int from, int to, IdList out) {
    for (int start = from; start < to; ) {
      int end = LlamaPreTokenizer.pieceEnd(text, start, to);
      int n = utf8(text, start, end);
      int whole = ignoreMerges ? tokens.idOf(pieceBytes, 0, n) : -1;
      if (whole >= 0) out.add(whole);
      else merger.encode(pieceBytes, n, out);
      start = end;
    }
  }

  /** Writes {@code text[from..to)} as UTF-8 into {@link #pieceBytes}; returns the byte count. */
  private int utf8(String text, int from, int to) {
    int worst = (to - from) * 3;
    if (pieceBytes.length < worst) pieceBytes = new byte[Math.max(worst, pieceBytes.length * 2)];
    byte[] b = pieceBytes;
    int n = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        b[n++] = (byte) c;
      } else if (c < 0x800) {
        b[n++] = (byte) (0xC0 | (c >> 6));
        b[n++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c) && i + 1 < to
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, text.charAt(++i));
        b[n++] = (byte) (0xF0 | (cp >> 18));
        b[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        b[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        b[n++] = (byte) (0x80 | (cp & 0x3F));
      } else {
        b[n++] = (byte) (0xE0 | (c >> 12));
        b[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        b[n++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    return n;
  }

  private static TokenTable tokenTable(Path file, Map<String, Integer> vocab) {
    int size = 1 + vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
    byte[][] bytesById = new byte[size][];
    vocab.forEach((token, id) -> bytesById[id] = ByteLevelAlphabet.bytesOf(token).orElseThrow(
        () -> TokenizerJson.invalid(file, "vocab token " + token + " is not byte-level")));
    return new TokenTable(bytesById);
  }

  private static MergeTable mergeTable(Path file, TokenizerJson json) {
    Map<String, Integer> vocab = json.vocab();
    MergeTable table = new MergeTable(json.merges().size());
    int rank = 0;
    for (String[] pair : json.merges()) {
      Integer left = vocab.get(pair[0]);
      Integer right = vocab.get(pair[1]);
      Integer merged = vocab.get(pair[0] + pair[1]);
      if (left == null || right == null || merged == null) {
        throw TokenizerJson.invalid(file, "merge " + pair[0] + " " + pair[1] + " names a token not in the vocab");
      }
      table.put(left, right, rank++, merged);
    }
    return table;
  }

  /** Every byte must be a token: byte-level BPE starts from them. */
  private static int[] byteIds(Path file, TokenTable tokens) {
    int[] ids = new int[256];
    byte[] one = new byte[1];
    for (int b = 0; b < 256; b++) {
      one[0] = (byte) b;
      ids[b] = tokens.idOf(one, 0, 1);
      if (ids[b] < 0) {
        throw TokenizerJson.invalid(file, "no token for byte " + b + " (" + ByteLevelAlphabet.charOf(b) + ")");
      }
    }
    return ids;
  }
}
