package narrow.data.tokenizer;

import java.nio.file.Path;

/**
 * What a manifest and a data job need to know of a tokenizer file, whichever encoder reads it.
 *
 * @param vocabSize model tokens plus added tokens: the embedding rows a model needs (128,256)
 * @param bosId {@code <|begin_of_text|>}
 * @param eosId {@code <|end_of_text|>}
 */
public record TokenizerInfo(Path file, String sha256, int vocabSize, int bosId, int eosId) {}
