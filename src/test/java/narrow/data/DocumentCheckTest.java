package narrow.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DocumentCheckTest {
  @Test
  void classifiesBadDocuments() {
    assertEquals(BadRecordReason.EMPTY, DocumentCheck.decode(null, 0).problem());
    assertEquals(BadRecordReason.EMPTY, DocumentCheck.decode(new byte[0], 0).problem());
    assertEquals(BadRecordReason.NUL_BYTES, DocumentCheck.decode("a\0b".getBytes(StandardCharsets.UTF_8), 0).problem());
    assertEquals(BadRecordReason.INVALID_UTF8, DocumentCheck.decode(new byte[] {'a', (byte) 0xff, 'b'}, 0).problem());
    assertEquals(BadRecordReason.INVALID_UTF8, DocumentCheck.decode(new byte[] {(byte) 0xe2, (byte) 0x82}, 0).problem());
    assertEquals(BadRecordReason.TOO_LARGE, DocumentCheck.decode(new byte[11], 10).problem());
  }

  @Test
  void keepsGoodTextExactly() {
    String text = "def f():\r\n\treturn 'é😀'  \n";
    DocumentCheck.Result r = DocumentCheck.decode(text.getBytes(StandardCharsets.UTF_8), 1000);
    assertNull(r.problem());
    assertEquals(text, r.text());
  }

  @Test
  void languagesMatchCodeparrot() {
    assertEquals(30, CodeparrotLanguages.names().size());
    assertEquals("Python", CodeparrotLanguages.of("x.py").orElseThrow());
    assertEquals("C", CodeparrotLanguages.of("x.c").orElseThrow());
    assertEquals("C++", CodeparrotLanguages.of("x.C").orElseThrow());
    assertEquals("Dockerfile", CodeparrotLanguages.of("Dockerfile").orElseThrow());
    assertEquals("Makefile", CodeparrotLanguages.of("Makefile").orElseThrow());
    assertEquals("GO", CodeparrotLanguages.of("main.go").orElseThrow());
    assertEquals("Visual Basic", CodeparrotLanguages.of("a.vb").orElseThrow());
    assertTrue(CodeparrotLanguages.of("x.pyc").isEmpty());
    assertTrue(CodeparrotLanguages.of(".bashrc").isEmpty());
    assertTrue(CodeparrotLanguages.of("README").isEmpty());
  }
}
