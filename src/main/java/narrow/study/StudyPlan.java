package narrow.study;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import narrow.model.ModelStats;
import narrow.util.UserError;
import org.apache.hadoop.conf.Configuration;

/**
 * {@code narrow run --dry-run}: each run, its state and what the runner would do with it, its
 * method and parameters, tokens, FLOPs and replicas; nothing is trained or written.
 */
public final class StudyPlan {
  private StudyPlan() {}

  /** Prints the plan of {@code runs}; returns how many runs have a config that cannot run. */
  public static int print(Path file, List<String> runs, List<String> overrides, Configuration hadoop, PrintStream out)
      throws IOException {
    List<List<String>> rows = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    long tokens = 0;
    double flops = 0;
    for (String run : runs) {
      PlannedRun r;
      try {
        r = PlannedRun.of(file, run, overrides, hadoop);
      } catch (UserError e) {
        String name = run == null ? "(default)" : run;
        rows.add(List.of(name, "invalid", "-", "-", "-", "-", "-", "-"));
        problems.add("  " + name + ": " + FailurePolicy.oneLine(e.getMessage()));
        continue;
      }
      long n = ModelStats.of(r.model(hadoop)).nParams();
      double f = 6.0 * n * r.tokens();
      tokens += r.tokens();
      flops += f;
      rows.add(List.of(r.name(), r.state().toString(), r.action(), r.method(), r.parameters(),
          String.format(Locale.ROOT, "%.3g", (double) r.tokens()), String.format(Locale.ROOT, "%.3g", f),
          String.valueOf(r.config().distributed().replicas())));
    }
    out.printf(Locale.ROOT, "narrow run %s: %d run%s (dry run: nothing is trained or written)%n", file, runs.size(),
        runs.size() == 1 ? "" : "s");
    out.println("  tokens = max_steps × per-device batch × gradient accumulation × replicas × seq_len;"
        + " FLOPs = 6·N·tokens, N = the model's n_params as model_stats.json counts it (embeddings and"
        + " lm_head included; a pruned model at its dense count)");
    Table.lines(List.of("run", "state", "will", "method", "parameters", "tokens", "FLOPs", "replicas"), rows)
        .forEach(out::println);
    out.printf(Locale.ROOT, "  total: %.3g tokens, %.3g FLOPs%n", (double) tokens, flops);
    if (!problems.isEmpty()) {
      out.println("cannot run:");
      problems.forEach(out::println);
    }
    return problems.size();
  }
}
