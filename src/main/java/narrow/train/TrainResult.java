package narrow.train;

import java.nio.file.Path;

/**
 * What a finished run reports.
 *
 * @param trainLoss mean loss over all optimizer steps (HF's {@code train_loss})
 * @param tokensPerSecond real (non-pad) training tokens per second of this session
 */
public record TrainResult(long globalStep, double trainLoss, Path finalModel, TrainerState state,
    double trainRuntimeSeconds, double tokensPerSecond) {}
