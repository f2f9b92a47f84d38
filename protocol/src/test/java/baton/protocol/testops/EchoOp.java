package baton.protocol.testops;

import baton.protocol.IoOp;
import baton.protocol.Op;
import baton.protocol.OpKind;
import baton.protocol.OpParams;
import baton.protocol.OpProvider;
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
