package baton.node;

import baton.protocol.CpuOp;
import baton.protocol.Item;
import baton.protocol.OpRef;
import baton.protocol.OpRegistry;
import baton.protocol.WorkBatch;
import baton.protocol.WorkResult;
import baton.protocol.WorkResult.ItemResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Runs batches of items through cpu ops, one batch at a time, on the CPU dispatcher. An item whose op throws fails
 * alone; the rest of its batch goes on. When an op throws an {@link Error} (a stack overflow, a missing class), the
 * item fails too, the batch is still answered in full, and then the worker crashes on purpose so that its supervisor
 * restarts it with no op left over from before. Only errors that leave the JVM in doubt (out of memory) are not
 * caught: Pekko stops the JVM on those.
 */
public final class Worker extends AbstractBehavior<WorkBatch> {

  private static final int CACHED_OPS = 64;

  private final OpRegistry registry;
  private final String node;
  // Ops are made once per stage and kept: making one may compile a regex or allocate a digest.
  private final Map<OpRef, CpuOp> ops = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<OpRef, CpuOp> eldest) {
      return size() > CACHED_OPS;
    }
  };

  public static Behavior<WorkBatch> create(OpRegistry registry) {
    return Behaviors.setup(context -> Behaviors.withMdc(WorkBatch.class,
        batch -> Map.of("jobId", batch.jobId()),
        new Worker(context, registry)));
  }

  private Worker(ActorContext<WorkBatch> context, OpRegistry registry) {
    super(context);
    this.registry = registry;
    this.node = context.getSystem().address().toString();
  }

  @Override
  public Receive<WorkBatch> createReceive() {
    return newReceiveBuilder()
        .onMessage(WorkBatch.class, this::onWork)
        .build();
  }

  private Behavior<WorkBatch> onWork(WorkBatch batch) {
    List<ItemResult> results = new ArrayList<>(batch.items().size());
    CpuOp op;
    try {
      op = ops.computeIfAbsent(batch.op(), registry::createCpu);
    } catch (RuntimeException | LinkageError | StackOverflowError e) {
      getContext().getLog().warn("cannot make op {} for stage {}: {}", batch.op().name(), batch.stage(), reason(e));
      for (Item item : batch.items()) {
        results.add(ItemResult.failed(item.key(), reason(e)));
      }
      batch.replyTo().tell(new WorkResult(batch.batch(), results, node));
      return this;
    }
    Throwable crash = null;
    for (Item item : batch.items()) {
      if (op == null) {
        results.add(ItemResult.failed(item.key(), "not run: the op crashed on an earlier item and cannot be made "
            + "again: " + reason(crash)));
        continue;
      }
      try {
        results.add(run(op, item));
      } catch (Error e) {
        // The op's state may be broken: the item fails, the rest of the batch gets a fresh op, and the worker is
        // restarted (dropping every op it made) once the batch is answered.
        if (isFatal(e)) {
          throw e;
        }
        crash = e;
        getContext().getLog().warn("op {} crashed on item {}: {}", batch.op().name(), item.key(), reason(e));
        results.add(ItemResult.failed(item.key(), "the op crashed: " + reason(e)));
        ops.remove(batch.op());
        op = remake(batch.op());
      }
    }
    batch.replyTo().tell(new WorkResult(batch.batch(), results, node));
    if (crash != null) {
      throw new WorkerCrashed("op " + batch.op().name() + " crashed: " + reason(crash), crash);
    }
    return this;
  }

  private CpuOp remake(OpRef ref) {
    try {
      return registry.createCpu(ref);
    } catch (RuntimeException | LinkageError | StackOverflowError e) {
      getContext().getLog().warn("cannot make op {} again: {}", ref.name(), reason(e));
      return null;
    }
  }

  private static ItemResult run(CpuOp op, Item item) {
    try {
      byte[] payload = op.apply(item.key(), item.payload());
      return payload == null ? ItemResult.dropped(item.key()) : ItemResult.ok(item.key(), payload);
    } catch (Exception e) {
      return ItemResult.failed(item.key(), reason(e));
    }
  }

  /** Errors that leave the JVM in doubt: Pekko exits on them, and nothing here pretends otherwise. */
  static boolean isFatal(Error e) {
    return e instanceof VirtualMachineError && !(e instanceof StackOverflowError);
  }

  /** Thrown after answering a batch whose op threw an {@link Error}, so that the supervisor restarts the worker. */
  static final class WorkerCrashed extends RuntimeException {
    WorkerCrashed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  static String reason(Throwable e) {
    String message = e.getMessage();
    String kind = e.getClass().getSimpleName();
    return message == null || message.isBlank() ? kind : kind + ": " + message;
  }
}
