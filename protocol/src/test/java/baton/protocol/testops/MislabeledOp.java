package baton.protocol.testops;

import baton.protocol.IoOp;
import baton.protocol.Op;
import baton.protocol.OpKind;
import baton.protocol.OpParams;
import baton.protocol.OpProvider;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** A broken user op: it says it is a cpu op but makes an io op, which the registry must refuse. */
public final class MislabeledOp implements OpProvider {

  @Override
  public String name() {
    return "mislabeled";
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
    return (IoOp) (key, payload, context) -> CompletableFuture.completedFuture(payload);
  }
}
