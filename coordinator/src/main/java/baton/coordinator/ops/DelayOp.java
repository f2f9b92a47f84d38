package baton.coordinator.ops;

import baton.protocol.op.IoOp;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
import java.time.Duration;
import java.util.Set;

/**
 * {@code delay { millis }}: waits, holding no thread, then passes the item on unchanged. The stand-in for I/O
 * latency in demos and benchmarks.
 */
public final class DelayOp implements OpProvider {

  @Override
  public String name() {
    return "delay";
  }

  @Override
  public OpKind kind() {
    return OpKind.IO;
  }

  @Override
  public Set<String> parameters() {
    return Set.of("millis");
  }

  @Override
  public Op create(OpParams params) {
    Duration delay = Duration.ofMillis(params.getLong("millis", 0, 86_400_000));
    return (IoOp) (key, payload, context) -> context.delay(delay).thenApply(done -> payload);
  }
}
