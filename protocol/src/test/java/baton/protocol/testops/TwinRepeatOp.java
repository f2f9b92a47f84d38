package baton.protocol.testops;

import baton.protocol.op.CpuOp;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
import java.util.Set;

/**
 * A second op named {@code repeat}. It is not listed in the test {@code META-INF/services}; tests that want a name
 * clash list it in a services file of their own.
 */
public final class TwinRepeatOp implements OpProvider {

  @Override
  public String name() {
    return "repeat";
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
    return (CpuOp) (key, payload) -> payload;
  }
}
