package narrow.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The running totals a checkpoint needs beyond weights and optimizer moments to continue exactly:
 * where in the data order training is, the logging window's partial sums, and the totals that
 * feed {@code train_loss}. There is no other RNG state: the data order is a function of
 * (seed, micro-batch index), and the model has no dropout.
 *
 * @param microBatchSize rows of one global micro-batch (per-device batch × replicas)
 * @param windowSums the loss and each extra loss term summed over the open logging window
 * @param objectiveState what the {@link Objective} carries across steps (an adaptive weight,
 *     smoothed losses); absent in checkpoints of plain training
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TrainingPosition(
    long globalStep,
    long microBatchesConsumed,
    long seed,
    long trainRows,
    int microBatchSize,
    int gradientAccumulationSteps,
    long windowStartStep,
    Map<String, Double> windowSums,
    double trainLossSum,
    long tokensSeen,
    double totalFlos,
    Map<String, Double> objectiveState) {

  public static final String FILE = "trainer_position.json";
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public void write(Path dir) throws IOException {
    JSON.writeValue(dir.resolve(FILE).toFile(), this);
  }

  public static TrainingPosition read(Path dir) throws IOException {
    return JSON.readValue(dir.resolve(FILE).toFile(), TrainingPosition.class);
  }
}
