package baton.node.ops;

import baton.protocol.op.CpuOp;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** {@code grep { pattern }}: keeps only the items whose payload, as UTF-8 text, contains a match of the regex. */
public final class GrepOp implements OpProvider {

  @Override
  public String name() {
    return "grep";
  }

  @Override
  public OpKind kind() {
    return OpKind.CPU;
  }

  @Override
  public Set<String> parameters() {
    return Set.of("pattern");
  }

  @Override
  public Op create(OpParams params) {
    String regex = params.getString("pattern");
    Pattern pattern;
    try {
      pattern = Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw params.error("pattern", "pattern is not a valid regular expression: " + e.getDescription()
          + " near index " + e.getIndex());
    }
    return (CpuOp) (key, payload) ->
        pattern.matcher(new String(payload, StandardCharsets.UTF_8)).find() ? payload : null;
  }
}
