package narrow.metrics;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * One metrics table as it is written: its folder's name under {@code _metrics/}, its schema (the
 * contract notebooks read; {@code experiment} first, the partition column) and its rows in order.
 */
record Table(String name, StructType schema, List<Row> rows) {
  /** A schema of (name, type) pairs; {@code experiment} and {@code run} are never null. */
  static StructType schema(Object... nameTypes) {
    List<StructField> fields = new ArrayList<>();
    for (int i = 0; i < nameTypes.length; i += 2) {
      String name = (String) nameTypes[i];
      boolean key = name.equals("experiment") || name.equals("run");
      fields.add(DataTypes.createStructField(name, (DataType) nameTypes[i + 1], !key));
    }
    return DataTypes.createStructType(fields);
  }
}

