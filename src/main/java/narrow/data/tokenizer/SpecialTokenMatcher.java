package narrow.data.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Finds the added (special) tokens written literally in a text, as Hugging Face does before it
 * pre-tokenizes: leftmost first, the longest among those starting at the same place. A character
 * trie: most texts never get past the first character of any token.
 */
final class SpecialTokenMatcher {
  private final char[][] edgeChars; // per node, sorted
  private final int[][] edgeTargets;
  private final int[] tokenIdAt; // per node, -1 when no token ends there
  private final int[] tokenLengthAt;
  private final boolean[] startsAToken = new boolean[Character.MAX_VALUE + 1];

  /** A match: the token's id and how many chars of the text it covers. */
  record Match(int id, int length) {}

  SpecialTokenMatcher(Map<String, Integer> idByContent) {
    List<TreeMap<Character, Integer>> children = new ArrayList<>();
    List<Integer> ids = new ArrayList<>();
    List<Integer> lengths = new ArrayList<>();
    children.add(new TreeMap<>());
    ids.add(-1);
    lengths.add(0);
    idByContent.forEach((content, id) -> {
      if (content.isEmpty()) return;
      startsAToken[content.charAt(0)] = true;
      int node = 0;
      for (int i = 0; i < content.length(); i++) {
        Integer child = children.get(node).get(content.charAt(i));
        if (child == null) {
          child = children.size();
          children.add(new TreeMap<>());
          ids.add(-1);
          lengths.add(i + 1);
          children.get(node).put(content.charAt(i), child);
        }
        node = child;
      }
      ids.set(node, id);
    });
    int n = children.size();
    edgeChars = new char[n][];
    edgeTargets = new int[n][];
    tokenIdAt = ids.stream().mapToInt(Integer::intValue).toArray();
    tokenLengthAt = lengths.stream().mapToInt(Integer::intValue).toArray();
    for (int node = 0; node < n; node++) {
      TreeMap<Character, Integer> edges = children.get(node);
      edgeChars[node] = new char[edges.size()];
      edgeTargets[node] = new int[edges.size()];
      int k = 0;
      for (Map.Entry<Character, Integer> e : edges.entrySet()) {
        edgeChars[node][k] = e.getKey();
        edgeTargets[node][k++] = e.getValue();
      }
    }
  }

  /** The longest token written at {@code text[at..limit)}, or null. */
  Match longestAt(String text, int at, int limit) {
    if (!startsAToken[text.charAt(at)]) return null;
    int node = 0;
    int best = -1;
    for (int i = at; i < limit; i++) {
      int k = Arrays.binarySearch(edgeChars[node], text.charAt(i));
      if (k < 0) break;
      node = edgeTargets[node][k];
      if (tokenIdAt[node] >= 0) best = node;
    }
    return best < 0 ? null : new Match(tokenIdAt[best], tokenLengthAt[best]);
  }
}
