package narrow.report;

import java.util.List;

/** The {@code runs} table as the index shows it: its columns in order, each cell as text. */
public record RunsTable(List<String> columns, List<List<String>> rows) {}
