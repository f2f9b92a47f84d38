package baton.node;

import baton.protocol.op.CpuOp;
import baton.protocol.op.OpRegistry;
import baton.protocol.op.Reasons;
import baton.protocol.spec.OpRef;
import baton.protocol.wire.BatchStarted;
import baton.protocol.wire.Item;
import baton.protocol.wire.WorkBatch;
import baton.protocol.wire.WorkResult.ItemResult;
import baton.protocol.wire.WorkResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Runs batches of items through cpu ops, one batch at a time, on the CPU dispatcher. It tells the batch's
 * {@code started} when it starts one, so that the dispatcher times the batch from then on; an item whose op call took
 * longer than the batch's item timeout fails as timed out (the call cannot be interrupted, only judged). An item
 * whose op throws fails alone, also for an {@link Error} such as a stack overflow or a class missing from a user op's jar; the rest of its
 * batch goes on and the batch is always answered in full. Only errors that leave the JVM in doubt (out of memory)
 * are not caught: Pekko stops the JVM on those. A worker that crashes anyway is replaced by its {@link WorkerPool},
 * which it tells when it is free for the next batch.
 */
public final class Worker extends AbstractBehavior<WorkBatch> {

  private static final int CACHED_OPS = 64;

  private final OpRegistry registry;
  // Where ops of jobs that brought their code come from; null: this node runs installed ops only.
  private final JobOps jobOps;
  private final ActorRef<WorkerPool.Command> pool;
  private final String node;
  // Ops are made once per stage and kept: making one may compile a regex or allocate a digest.
  private final Map<OpRef, CpuOp> ops = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<OpRef, CpuOp> eldest) {
      return size() > CACHED_OPS;
    }
  };

  static Behavior<WorkBatch> create(OpRegistry registry, JobOps jobOps, ActorRef<WorkerPool.Command> pool) {
    return Behaviors.setup(context -> Behaviors.withMdc(WorkBatch.class,
        batch -> Map.of("jobId", batch.jobId()),
        new Worker(context, registry, jobOps, pool)));
  }

  private Worker(ActorContext<WorkBatch> context, OpRegistry registry, JobOps jobOps,
      ActorRef<WorkerPool.Command> pool) {
    super(context);
    this.registry = registry;
    this.jobOps = jobOps;
    this.pool = pool;
    this.node = context.getSystem().address().toString();
  }

  @Override
  public Receive<WorkBatch> createReceive() {
    return newReceiveBuilder()
        .onMessage(WorkBatch.class, this::onWork)
        .build();
  }

  private Behavior<WorkBatch> onWork(WorkBatch batch) {
    batch.started().tell(new BatchStarted(batch.batch()));
    long start = System.nanoTime();
    List<ItemResult> results = results(batch);
    batch.replyTo().tell(new WorkResult(batch.batch(), results, node, System.nanoTime() - start));
    pool.tell(new WorkerPool.Free(getContext().getSelf()));
    return this;
  }

  private List<ItemResult> results(WorkBatch batch) {
    List<ItemResult> results = new ArrayList<>(batch.items().size());
    CpuOp op;
    try {
      op = batch.op().code() != null && jobOps != null ? jobOps.get(batch.jobId(), batch.op())
          : ops.computeIfAbsent(batch.op(), registry::createCpu);
    } catch (RuntimeException | LinkageError | StackOverflowError e) {
      // A user op whose class cannot initialise throws a LinkageError, which Pekko would take as fatal.
      getContext().getLog().warn("cannot make op {} for stage {}: {}", batch.op().name(), batch.stage(), reason(e));
      for (Item item : batch.items()) {
        results.add(ItemResult.failed(item.key(), reason(e)));
      }
      return results;
    }
    long timeout = batch.itemTimeout().toNanos();
    // One clock read per item, each item's end the next one's start: for tiny items two reads cost a quarter of
    // the op's own time.
    long start = System.nanoTime();
    for (Item item : batch.items()) {
      ItemResult result = run(op, item);
      long end = System.nanoTime();
      long took = end - start;
      start = end;
      results.add(took <= timeout ? result : ItemResult.failed(item.key(), "timed out after "
          + batch.itemTimeout().toMillis() + " ms (item-timeout) on node " + node + ": the op took "
          + took / 1_000_000 + " ms"));
    }
    return results;
  }

  private static ItemResult run(CpuOp op, Item item) {
    try {
      byte[] payload = op.apply(item.key(), item.payload());
      return payload == null ? ItemResult.dropped(item.key()) : ItemResult.ok(item.key(), payload);
    } catch (StackOverflowError e) {
      // Deep recursion on one payload (grep's regex engine on a long line): the stack has unwound, only this item
      // is at fault. Let through, Pekko would take it as fatal and stop the whole node.
      return ItemResult.failed(item.key(), reason(e));
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Exception | Error e) {
      // The op is user code: an AssertionError or a class missing from its jar fails this item, not the batch.
      return ItemResult.failed(item.key(), reason(e));
    }
  }

  static String reason(Throwable e) {
    return Reasons.withKind(e);
  }
}
