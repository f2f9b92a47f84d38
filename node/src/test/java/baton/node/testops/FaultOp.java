package baton.node.testops;

import baton.protocol.op.CpuOp;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

/**
 * A test cpu op that misbehaves on request: an item whose payload is {@code fail} throws an exception, one whose
 * payload is {@code assert} throws an {@link AssertionError}, one whose payload is {@code skip} is dropped, one
 * whose payload is {@code slow} keeps its thread busy for {@link #SLOW}; every other payload passes unchanged.
 */
public final class FaultOp implements OpProvider {

  public static final String FAILURE = "item refused on purpose";
  public static final Duration SLOW = Duration.ofMillis(200);

  @Override
  public String name() {
    return "fault";
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
    return (CpuOp) (key, payload) -> switch (new String(payload, StandardCharsets.UTF_8)) {
      case "fail" -> throw new IllegalStateException(FAILURE);
      case "assert" -> throw new AssertionError(FAILURE);
      case "skip" -> null;
      case "slow" -> {
        long end = System.nanoTime() + SLOW.toNanos();
        while (System.nanoTime() < end) {
          Thread.onSpinWait();
        }
        yield payload;
      }
      default -> payload;
    };
  }
}
