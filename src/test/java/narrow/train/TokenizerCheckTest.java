package narrow.train;

import static org.junit.jupiter.api.Assertions.*;

import narrow.data.TokenizeManifest;
import narrow.model.Fixtures;
import narrow.model.LlamaConfig;
import narrow.util.UserError;
import org.junit.jupiter.api.Test;

class TokenizerCheckTest {
  static TokenizeManifest.Tokenizer tokenizer(int bos, int eos) {
    return new TokenizeManifest.Tokenizer("tokenizer.json", "00", "fast", bos, eos);
  }

  @Test
  void theDatasSpecialIdsMustBeTheModels() throws Exception {
    LlamaConfig c = LlamaConfig.read(Fixtures.model(Fixtures.UNTIED).resolve("config.json")); // bos 318, eos 319, 320 ids
    TokenizerCheck.check(c, tokenizer(318, 319), "m", "d");
    TokenizerCheck.check(c, null, "m", "d"); // a manifest that does not say
    var llama3 = assertThrows(UserError.class, () -> TokenizerCheck.check(c, tokenizer(128000, 128001), "m", "d"));
    assertTrue(llama3.getMessage().contains("its vocabulary has 320 ids"), llama3.getMessage());
    var bos = assertThrows(UserError.class, () -> TokenizerCheck.check(c, tokenizer(1, 319), "m", "d"));
    assertTrue(bos.getMessage().contains("m does not fit the tokenizer of d: bos_token_id 318"), bos.getMessage());
    var eos = assertThrows(UserError.class, () -> TokenizerCheck.check(c, tokenizer(318, 2), "m", "d"));
    assertTrue(eos.getMessage().contains("eos_token_id [319]"), eos.getMessage());
  }

  @Test
  void aTeacherMustShareTheStudentsTokenizer() throws Exception {
    LlamaConfig student = LlamaConfig.read(narrow.model.Fixtures.model(narrow.model.Fixtures.UNTIED).resolve("config.json"));
    LlamaConfig teacher = LlamaConfig.read(narrow.model.Fixtures.model(narrow.model.Fixtures.TIED).resolve("config.json"));
    TokenizerCheck.sameTokenizer(student, "s", teacher, "t");
    LlamaConfig llama3 = LlamaConfig.preset("d64_l2_h2");
    UserError e = assertThrows(UserError.class, () -> TokenizerCheck.sameTokenizer(student, "model.preset x", llama3,
        "distill.teacher y"));
    assertTrue(e.getMessage().contains("vocab_size " + llama3.vocabSize() + " and " + student.vocabSize())
        && e.getMessage().contains("distill.teacher y") && e.getMessage().contains("model.preset x"), e.getMessage());
  }
}
