package narrow.prune;

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
}
