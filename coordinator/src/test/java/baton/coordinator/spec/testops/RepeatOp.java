package baton.coordinator.spec.testops;

import baton.protocol.op.CpuOp;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
import java.io.ByteArrayOutputStream;
import java.util.Set;

/**
 * A user cpu op found through {@code META-INF/services}: {@code repeat { times }} writes the payload {@code times}
 * times. The default for {@code times} lives in the test {@code reference.conf} under {@code baton.ops.repeat}.
 */
public final class RepeatOp implements OpProvider {

  public static final int MAX_TIMES = 100;

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
    return Set.of("times");
  }

  @Override
  public Op create(OpParams params) {
    int times = params.getInt("times", 1, MAX_TIMES);
    return (CpuOp) (key, payload) -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (int i = 0; i < times; i++) {
        out.write(payload);
      }
      return out.toByteArray();
    };
  }
}
