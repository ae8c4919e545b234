package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import narrow.model.io.PythonTorch;
import narrow.util.CompleteFolder;

/**
 * The study's layout as the quickstart writes it: every folder and file the study's repository
 * names, under {@code <root>/<experiment>/<run>/}, each opened by the reader its users read it with
 * ({@code src/test/python/check_study_layout.py}: safetensors, {@code torch.load(weights_only=True)},
 * JSON with the study's keys, pandas for the tables); then the notebook run against the tree.
 */
final class StudyLayout {
  private StudyLayout() {}

  /** Run folders of the quickstart's study and what each kind holds beside its checkpoints. */
  private static final List<String[]> RUNS = List.of(
      new String[] {"trainscratch01/d64_l2_h2", "model_stats.json"},
      new String[] {"trainscratch01/d32_l2_h2", "model_stats.json"},
      new String[] {"distillscratch00/d32_l2_h2_d64_l2_h2", "model_stats.json", "experiment_metadata.json"},
      new String[] {"pruneandtrain01/n0.50_r0.20", "model_stats.json", "pruning_mask.pt", "pruning_mask.safetensors",
          "pruning_stats.json", "experiment_metadata.json"},
      new String[] {"pruneandtrainrandom00/n0.50_r0.20", "pruning_mask.pt", "pruning_stats.json", "experiment_metadata.json"},
      new String[] {"tuneprune15-redo/lambda_0.05_bs_4_acc_1", "model_stats.json", "experiment_metadata.json"},
      new String[] {"pruneandtrainnorm00/n0.50_r0.20", "pruning_mask.pt", "pruning_stats.json", "experiment_metadata.json"});

  /** What a Hugging Face checkpoint folder holds for {@code transformers} and the trainer. */
  private static final List<String> CHECKPOINT_FILES =
      List.of("config.json", "model.safetensors", "trainer_state.json", "training_args.bin", CompleteFolder.MARKER);

  static void check(Path study) throws Exception {
    List<String> missing = new ArrayList<>();
    for (String[] run : RUNS) {
      Path dir = study.resolve(run[0]);
      for (int i = 1; i < run.length; i++) if (!Files.isRegularFile(dir.resolve(run[i]))) missing.add(run[0] + "/" + run[i]);
      for (String f : CHECKPOINT_FILES) {
        if (!Files.isRegularFile(dir.resolve("final_model").resolve(f))) missing.add(run[0] + "/final_model/" + f);
      }
      try (Stream<Path> children = Files.list(dir)) {
        if (children.noneMatch(c -> c.getFileName().toString().matches("checkpoint-\\d+"))) missing.add(run[0] + "/checkpoint-N");
      }
    }
    for (String table : List.of("history", "runs", "pruning", "neuron_norms")) {
      if (!Files.isDirectory(study.resolve("_metrics").resolve(table))) missing.add("_metrics/" + table);
    }
    for (String figure : List.of("index.html", "frontier_params.png", "frontier_params.svg", "frontier_flops.png",
        "recovery_attribution_vs_random.png", "loss_trainscratch01.png")) {
      if (!Files.isRegularFile(study.resolve("_report").resolve(figure))) missing.add("_report/" + figure);
    }
    assertEquals(List.of(), missing, "the study's layout under " + study);

    String modules = "torch, safetensors, pandas, pyarrow";
    if (!Files.isExecutable(PythonTorch.python()) || !PythonTorch.importable(modules)) {
      PythonTorch.recordSkipped("StudyLayout: the study's files opened by their readers",
          "no Python with " + modules + " (tried " + PythonTorch.python() + "; set NARROW_HF_PYTHON)");
    } else {
      String out = PythonTorch.runWith(PythonTorch.python().toString(),
          List.of("src/test/python/check_study_layout.py", study.toString()));
      assertTrue(out.startsWith("ok "), out);
    }
    if (!Files.isExecutable(PythonTorch.python()) || !PythonTorch.importable("nbclient, ipykernel, matplotlib, pandas")) {
      PythonTorch.recordSkipped("StudyLayout: notebooks/narrow.ipynb executed against the quickstart's study",
          "no Python with nbclient, ipykernel, matplotlib and pandas (tried " + PythonTorch.python() + ")");
    } else {
      String out = PythonTorch.runWith(PythonTorch.python().toString(),
          List.of("src/test/python/run_notebook.py", "notebooks/narrow.ipynb", study.toString()));
      assertTrue(out.startsWith("ok "), out);
    }
  }
}
