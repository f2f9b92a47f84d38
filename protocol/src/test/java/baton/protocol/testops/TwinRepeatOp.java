package baton.protocol.testops;

import baton.protocol.CpuOp;
import baton.protocol.Op;
import baton.protocol.OpKind;
import baton.protocol.OpParams;
import baton.protocol.OpProvider;
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
