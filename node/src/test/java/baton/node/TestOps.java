package baton.node;

import baton.protocol.op.CpuOp;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Cpu ops that misbehave on purpose, for the worker tests. */
final class TestOps {

  private TestOps() {
  }

  /** {@code crash}: key "overflow" throws a StackOverflowError, "boom" an IllegalStateException, others pass. */
  public static final class Crash implements OpProvider {
    @Override
    public String name() {
      return "crash";
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
      return (CpuOp) (key, payload) -> {
        switch (key) {
          case "overflow" -> throw new StackOverflowError("test overflow");
          case "boom" -> throw new IllegalStateException("test boom");
          default -> {
            return payload;
          }
        }
      };
    }
  }

  /**
   * {@code together { id }}: each item counts down the latch registered under the id and waits for the others, so
   * its items only pass when that many workers run at once.
   */
  public static final class Together implements OpProvider {
    static final Map<String, CountDownLatch> LATCHES = new ConcurrentHashMap<>();

    @Override
    public String name() {
      return "together";
    }

    @Override
    public OpKind kind() {
      return OpKind.CPU;
    }

    @Override
    public Set<String> parameters() {
      return Set.of("id");
    }

    @Override
    public Op create(OpParams params) {
      CountDownLatch latch = LATCHES.get(params.getString("id"));
      return (CpuOp) (key, payload) -> {
        latch.countDown();
        if (!latch.await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("ran alone");
        }
        return payload;
      };
    }
  }
  /**
   * {@code gate { id }}: each item waits until the test opens the gate registered under the id, so a test decides
   * when a batch ends without timing it.
   */
  public static final class Gate implements OpProvider {
    static final Map<String, CountDownLatch> GATES = new ConcurrentHashMap<>();

    @Override
    public String name() {
      return "gate";
    }

    @Override
    public OpKind kind() {
      return OpKind.CPU;
    }

    @Override
    public Set<String> parameters() {
      return Set.of("id");
    }

    @Override
    public Op create(OpParams params) {
      CountDownLatch gate = GATES.get(params.getString("id"));
      return (CpuOp) (key, payload) -> {
        if (!gate.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the gate was never opened");
        }
        return payload;
      };
    }
  }
}
