package narrow.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SequencePackerTest {
  static final int EOT = 128001;

  @Test
  void rowsAreExactlySeqLenAndKeepEveryIdInOrder() {
    List<int[]> rows = new ArrayList<>();
    SequencePacker p = new SequencePacker(4, EOT, rows::add);
    p.add(new int[] {1, 2});        // 1 2 E
    p.add(new int[] {3, 4, 5, 6, 7}); // 3 | 4 5 6 7 | E
    p.add(new int[] {});            // E (an empty document still ends)
    assertEquals(List.of("[1, 2, 128001, 3]", "[4, 5, 6, 7]"), rows.stream().map(java.util.Arrays::toString).toList());
    assertEquals(2, p.pendingTokens());
  }

  @Test
  void documentLongerThanManyRows() {
    List<int[]> rows = new ArrayList<>();
    SequencePacker p = new SequencePacker(3, EOT, rows::add);
    p.add(IntStream.range(0, 10).toArray()); // 10 ids + E = 11 = 3 rows + 2
    assertEquals(3, rows.size());
    rows.forEach(r -> assertEquals(3, r.length));
    assertArrayEquals(new int[] {6, 7, 8}, rows.get(2));
    assertEquals(2, p.pendingTokens());
    p.add(new int[] {}); // fills the row exactly: 9 E E
    assertEquals(4, rows.size());
    assertArrayEquals(new int[] {9, EOT, EOT}, rows.get(3));
    assertEquals(0, p.pendingTokens());
  }

  @Test
  void emittedRowsAreNotReused() {
    List<int[]> rows = new ArrayList<>();
    SequencePacker p = new SequencePacker(2, EOT, rows::add);
    p.add(new int[] {1});
    p.add(new int[] {2});
    assertArrayEquals(new int[] {1, EOT}, rows.get(0));
    assertArrayEquals(new int[] {2, EOT}, rows.get(1));
  }

  @Test
  void truncatorPutsBosFirstAndCuts() {
    assertArrayEquals(new int[] {128000, 5, 6}, Truncator.withBosCut(128000, new int[] {5, 6}, 8));
    assertArrayEquals(new int[] {128000, 5, 6}, Truncator.withBosCut(128000, new int[] {5, 6, 7, 8}, 3));
    assertArrayEquals(new int[] {128000}, Truncator.withBosCut(128000, new int[] {}, 3));
  }
}
