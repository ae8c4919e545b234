package narrow.train;

/**
 * What a finished run reports.
 *
 * @param finalModel where {@code final_model/} is: a local path or a URI, as output_dir is written
 * @param trainLoss mean loss over all optimizer steps (HF's {@code train_loss})
 * @param trainRuntimeSeconds this session's; on Spark tasks, the driver's wall time of the whole run
 * @param tokensPerSecond real (non-pad) training tokens per second of this session; on Spark tasks,
 *     of every attempt's steps (a retried stage redoes some) over the whole run's wall time
 * @param timings this session's steps by phase (replica 0's when distributed)
 */
public record TrainResult(long globalStep, double trainLoss, String finalModel, TrainerState state,
    double trainRuntimeSeconds, double tokensPerSecond, StepTimings timings) {}
