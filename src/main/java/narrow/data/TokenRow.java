package narrow.data;

import java.io.Serializable;

/**
 * One output row as the tokenizing tasks produce it. A Java bean rather than a generic
 * {@code Row} because Spark's bean encoder copies an {@code int[]} into its own array format in
 * one block, where a {@code Row} holding ids is converted id by id through boxed integers: a
 * cost per token that rivals the encoder's. The job renames the columns for the shards.
 */
public final class TokenRow implements Serializable {
  private String split;
  private int[] inputIds;
  private int numTokens;
  private String docId;
  private int documentTokens;

  public TokenRow() {}

  TokenRow(String split, int[] inputIds, String docId, int documentTokens) {
    this.split = split;
    this.inputIds = inputIds;
    this.numTokens = inputIds.length;
    this.docId = docId;
    this.documentTokens = documentTokens;
  }

  public String getSplit() {
    return split;
  }

  public void setSplit(String split) {
    this.split = split;
  }

  public int[] getInputIds() {
    return inputIds;
  }

  public void setInputIds(int[] inputIds) {
    this.inputIds = inputIds;
  }

  public int getNumTokens() {
    return numTokens;
  }

  public void setNumTokens(int numTokens) {
    this.numTokens = numTokens;
  }

  public String getDocId() {
    return docId;
  }

  public void setDocId(String docId) {
    this.docId = docId;
  }

  public int getDocumentTokens() {
    return documentTokens;
  }

  public void setDocumentTokens(int documentTokens) {
    this.documentTokens = documentTokens;
  }
}
