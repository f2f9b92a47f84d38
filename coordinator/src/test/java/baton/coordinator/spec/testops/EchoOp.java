package baton.coordinator.spec.testops;

import baton.protocol.op.IoOp;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** A user io op with no parameters: {@code echo} passes the payload on unchanged. */
public final class EchoOp implements OpProvider {

  @Override
  public String name() {
    return "echo";
  }

  @Override
  public OpKind kind() {
    return OpKind.IO;
  }

  @Override
  public Set<String> parameters() {
    return Set.of();
  }

  @Override
  public Op create(OpParams params) {
    return (IoOp) (key, payload, context) -> CompletableFuture.completedFuture(payload);
  }
}
