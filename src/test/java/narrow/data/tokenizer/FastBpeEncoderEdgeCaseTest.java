package narrow.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Texts chosen to break a re-implementation of the oracle, each compared with it. */
class FastBpeEncoderEdgeCaseTest {
  private static final FastBpeEncoder fast = TestEncoders.fast();
  private static final HfOracleEncoder oracle = TestEncoders.oracle();

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("empty", ""),
        Arguments.of("accents", "héllo wörld, café naïve Ærøskøbing œuvre"),
        Arguments.of("CJK", "日本語のテキスト、中文字符。한국어 텍스트"),
        Arguments.of("Cyrillic", "Привет, мир! Съешь же ещё этих мягких французских булок"),
        Arguments.of("right to left", "שלום עולם مرحبا بالعالم ١٢٣٤٥"),
        Arguments.of("Indic and Thai", "नमस्ते दुनिया สวัสดีชาวโลก"),
        Arguments.of("combining marks", "e\u0301 a\u0308\u0304 \u0301x Z\u0351\u0362"),
        Arguments.of("CRLF", "def f():\r\n    return 1\r\n\r\n  \r\nx = 2\r\n"),
        Arguments.of("lone CR", "a\rb\r\r c\r  \rd\r"),
        Arguments.of("newline kinds", "\r \n\t\r\n\n\r\r\n x\n\n\n"),
        Arguments.of("tabs", "\tdef f():\n\t\treturn 1\t\t\n\t\n\tx\t=\t1"),
        Arguments.of("10k spaces", " ".repeat(10_000)),
        Arguments.of("10k spaces then a word", " ".repeat(10_000) + "x"),
        Arguments.of("word then 10k spaces", "x" + " ".repeat(10_000)),
        Arguments.of("10k newlines", "\n".repeat(10_000)),
        Arguments.of("mixed whitespace run", "\t \n ".repeat(3_000) + "end \t"),
        Arguments.of("trailing whitespace", "x   "),
        Arguments.of("trailing newline and space", "x \n "),
        Arguments.of("space before punctuation", "a  (b) ,  c ! \n?\n"),
        Arguments.of("Unicode spaces", "a\u00A0b\u3000c\u2028d\u2029e\u0085f\u202Fg\u1680h \u00A0 i"),
        Arguments.of("format characters", "a\u200Bb\u200Dc\uFEFFd\u180Ee\u2060"),
        Arguments.of("digits", "1 12 123 1234 1234567 3.14159 x1234567y 0x1F 1e-10"),
        Arguments.of("other numbers", "١٢٣٤ ①②③④ ⅫⅯ １２３４ ²³ ½"),
        Arguments.of("emoji", "😀 a😀b  😀😀 👍🏽"),
        Arguments.of("ZWJ sequences", "👨‍👩‍👧‍👦 🏳️‍🌈 👩🏽‍💻"),
        Arguments.of("contractions", "'s 't 're 've 'm 'll 'd it's I'll"),
        Arguments.of("upper-case contractions", "'S 'T 'RE 'VE 'M 'LL 'D IT'S I'LL WE'D 'Re 'rE"),
        Arguments.of("long s", "'ſ ſ'ſ x'ſy 'ſtop"),
        Arguments.of("apostrophes", "'' ''s 's's ' s '1 'x '\n"),
        Arguments.of("end of text", "a<|end_of_text|>b"),
        Arguments.of("special tokens", "<|begin_of_text|>x<|eot_id|>  <|end_of_text|>  "),
        Arguments.of("chat template", "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"),
        Arguments.of("adjacent specials", "<|end_of_text|><|end_of_text|><<|eot_id|>>"),
        Arguments.of("almost special", "<|end_of_text| <|end_of_text <| |> <|reserved_special_token_300|>"),
        Arguments.of("reserved specials", "<|reserved_special_token_1|><|reserved_special_token_10|>"),
        Arguments.of("NUL", "\u0000"),
        Arguments.of("NULs in text", "a\u0000b\u0000\u0000 \u0000\n"),
        Arguments.of("controls", "\u0001\u0002\u001b[31mred\u001b[0m\u007f"),
        Arguments.of("unpaired high surrogate", "x\uD800y"),
        Arguments.of("unpaired low surrogate", "\uDC00"),
        Arguments.of("reversed pair", "\uDC00\uD800"),
        Arguments.of("emoji before unpaired surrogate", "😀\uD800"),
        Arguments.of("NUL before unpaired surrogate", "\u0000 \uD800 é"),
        Arguments.of("replacement characters", "\uFFFD\uFFFD\uFFFD x\uFFFD"),
        Arguments.of("long letter run", "ab".repeat(50_000)),
        Arguments.of("long symbol run", "=".repeat(20_000) + "\n" + "-*".repeat(10_000)),
        Arguments.of("long CJK run", "中文".repeat(20_000)),
        Arguments.of("unicode 16 digits", "x\uD803\uDD40\uD803\uDD41\uD803\uDD42\uD803\uDD43y"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void encodesAsTheOracleDoes(String what, String text) {
    assertEqualToOracle(what, text);
  }

  /** Random mixes of the characters the pattern treats apart, many short texts. */
  @Test
  void randomMixesEncodeAsTheOracleDoes() {
    String[] parts = {" ", "  ", "\t", "\n", "\r", "\r\n", "'", "s", "S", "ll", "re", "a", "Z",
        "é", "ſ", "1", "23", "٣", ".", "(", "!?", "_", "中", "😀", "\u200D", "\u00A0", "\u3000",
        "\u0301", "<|", "|>", "<|end_of_text|>", "\u0000", "def", " return", "\uFFFD", "ß"};
    Random random = new Random(20260123);
    List<String> differences = new ArrayList<>();
    for (int n = 0; n < 3_000; n++) {
      StringBuilder text = new StringBuilder();
      int length = 1 + random.nextInt(24);
      for (int i = 0; i < length; i++) text.append(parts[random.nextInt(parts.length)]);
      OracleDifference.between("random text " + n, fast.encode(text.toString()),
          oracle.encode(text.toString()), fast).ifPresent(differences::add);
    }
    if (!differences.isEmpty()) {
      fail(differences.size() + " random texts differ; the first:\n" + differences.get(0));
    }
  }

  @Test
  void specialTokenIdsAreLlama31s() {
    assertArrayEquals(new int[] {64, 128001, 65}, fast.encode("a<|end_of_text|>b"));
    TokenizerInfo info = fast.info();
    assertEquals(128000, info.bosId());
    assertEquals(128001, info.eosId());
    assertEquals(128256, info.vocabSize());
  }

  @Test
  void decodeGivesTheTextBack() {
    String text = "def f(x):\n\treturn x + 1  # café 😀 <|end_of_text|>\r\n";
    assertEquals(text, fast.decode(fast.encode(text)));
  }

  private static void assertEqualToOracle(String what, String text) {
    OracleDifference.between(what, fast.encode(text), oracle.encode(text), fast)
        .ifPresent(report -> fail(report));
  }
}
