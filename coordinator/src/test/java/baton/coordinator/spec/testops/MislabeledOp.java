package baton.coordinator.spec.testops;

import baton.protocol.op.IoOp;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
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
