package narrow.train;

import narrow.data.TokenizeManifest;
import narrow.model.LlamaConfig;
import narrow.util.UserError;

/**
 * A pretrained model must have been trained with the tokenizer of the data it is pruned and
 * recovered on: its special ids must be the ones the tokenize job wrote ({@code manifest.json}'s
 * tokenizer block) and inside its vocabulary. A mismatch would score and train on meaningless
 * ids without any error, so it is refused before any work.
 */
public final class TokenizerCheck {
  private TokenizerCheck() {}

  /**
   * @param tokenizer the manifest's tokenizer block; null (a manifest that does not say) passes
   * @param model names the model in the message
   */
  public static void check(LlamaConfig config, TokenizeManifest.Tokenizer tokenizer, String model, String dataset) {
    if (tokenizer == null) return;
    String which = model + " does not fit the tokenizer of " + dataset + ": ";
    int bos = tokenizer.beginOfText();
    int eos = tokenizer.endOfText();
    if (bos >= config.vocabSize() || eos >= config.vocabSize()) {
      throw new UserError(which + "its vocabulary has " + config.vocabSize() + " ids, the data's special ids are "
          + bos + " and " + eos);
    }
    if (config.bosTokenId() != null && config.bosTokenId() != bos) {
      throw new UserError(which + "bos_token_id " + config.bosTokenId() + ", the data's <|begin_of_text|> is " + bos);
    }
    if (config.eosTokenIds() != null && !config.eosTokenIds().isEmpty() && !config.eosTokenIds().contains(eos)) {
      throw new UserError(which + "eos_token_id " + config.eosTokenIds() + ", the data's end of text is " + eos);
    }
  }

  /**
   * A teacher and its student must share a tokenizer: the same vocabulary size and, where both
   * configs name them, the same special ids; a mismatch names both values.
   */
  public static void sameTokenizer(LlamaConfig student, String studentName, LlamaConfig teacher, String teacherName) {
    String which = teacherName + " and " + studentName + " do not share a tokenizer: ";
    if (student.vocabSize() != teacher.vocabSize()) {
      throw new UserError(which + "vocab_size " + teacher.vocabSize() + " and " + student.vocabSize());
    }
    if (student.bosTokenId() != null && teacher.bosTokenId() != null
        && !student.bosTokenId().equals(teacher.bosTokenId())) {
      throw new UserError(which + "bos_token_id " + teacher.bosTokenId() + " and " + student.bosTokenId());
    }
    if (student.eosTokenId() != null && teacher.eosTokenId() != null
        && !student.eosTokenId().equals(teacher.eosTokenId())) {
      throw new UserError(which + "eos_token_id " + teacher.eosTokenIds() + " and " + student.eosTokenIds());
    }
  }
}
