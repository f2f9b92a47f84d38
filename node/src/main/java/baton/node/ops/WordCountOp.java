package baton.node.ops;

import baton.protocol.op.CpuOp;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/** {@code word-count}: the payload becomes the number of words in it, as decimal text; words split on white space. */
public final class WordCountOp implements OpProvider {

  @Override
  public String name() {
    return "word-count";
  }

  @Override
  public OpKind kind() {
    return OpKind.CPU;
  }

  @Override
  public Set<String> parameters() {
    return Set.of();
  }

  @Override
  public Op create(OpParams params) {
    return (CpuOp) (key, payload) -> Long.toString(count(new String(payload, StandardCharsets.UTF_8)))
        .getBytes(StandardCharsets.US_ASCII);
  }

  static long count(String text) {
    long words = 0;
    boolean inWord = false;
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      boolean space = Character.isWhitespace(c) || Character.isSpaceChar(c);
      if (!space && !inWord) {
        words++;
      }
      inWord = !space;
      i += Character.charCount(c);
    }
    return words;
  }
}
