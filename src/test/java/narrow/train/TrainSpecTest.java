package narrow.train;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Map;
import narrow.model.LlamaConfig;
import org.junit.jupiter.api.Test;

/** What Spark ships to each replica is the run's spec as it is: Java serialization keeps every part. */
class TrainSpecTest {
  @SuppressWarnings("unchecked")
  private static <T> T shipped(T value) throws IOException, ClassNotFoundException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (T) in.readObject();
    }
  }

  @Test
  void everyModelSourceAndTheArgumentsSurviveShipping() throws Exception {
    TrainingArguments args = TrainingArguments.defaults("s3a://bucket/run").with(Map.of("max_steps", 7, "bf16", false));
    LlamaConfig hub = new LlamaConfig(256, 64, 128, 2, 4, 2, 16, 1e-5, 500000.0,
        LlamaConfig.RopeScaling.llama3(8.0, 1.0, 4.0, 8192), 128, true, 1, java.util.List.of(2, 3), null, 0.02,
        "bfloat16", Map.of("architectures", JsonNodeFactory.instance.arrayNode().add("LlamaForCausalLM")));
    for (ModelSource model : new ModelSource[] {new ModelSource.Preset("d64_l2_h2", 7),
        new ModelSource.Fresh(hub, 3), new ModelSource.Pretrained("s3a://bucket/Llama-3.2-1B")}) {
      TrainSpec spec = TrainSpec.of(model, "s3a://bucket/data", args).withTokenizer("/tmp/tokenizer.json")
          .resumingFrom("s3a://bucket/run/checkpoint-4").onDevice(narrow.model.DeviceSetting.cuda(1));
      assertEquals(spec, shipped(spec));
    }
  }
}
