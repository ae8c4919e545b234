package narrow.report;

/** One line of a figure: a run's (or a run's quantile's) values against the step, steps ascending. */
public record Curve(String experiment, String run, String label, double[] steps, double[] values) {

  public String key() {
    return experiment + "/" + run;
  }

  /**
   * At most {@code max} of the points, evenly spaced in the list and always the last: a study's
   * history has thousands of logging steps per run, more than a figure shows and more than an SVG
   * should carry.
   */
  public Curve thinned(int max) {
    if (steps.length <= max) return this;
    double[] s = new double[max], v = new double[max];
    for (int i = 0; i < max; i++) {
      int from = (int) Math.round((double) i * (steps.length - 1) / (max - 1));
      s[i] = steps[from];
      v[i] = values[from];
    }
    return new Curve(experiment, run, label, s, v);
  }
}
