package baton.node;

import baton.protocol.op.OpRegistry;
import baton.protocol.wire.Item;
import baton.protocol.wire.WorkBatch;
import baton.protocol.wire.WorkResult;
import baton.protocol.wire.WorkResult.ItemResult;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * A node's {@link Worker}s on the CPU dispatcher, behind one queue: a batch goes to the first worker that is free, so
 * a batch never waits on a busy worker while another is idle. A worker that crashes is replaced, so the pool keeps
 * its size, and the batch it held is answered with its items failed.
 */
public final class WorkerPool extends AbstractBehavior<WorkerPool.Command> {

  /** The dispatcher declared in the node's {@code reference.conf}, sized to the cores. */
  public static final String CPU_DISPATCHER = "baton.cpu-dispatcher";

  /** What the pool's queue receives: batches to run, and word from its workers. */
  interface Command {
  }

  private record Queued(WorkBatch batch) implements Command {
  }

  /** A worker answered its batch and takes the next one. */
  record Free(ActorRef<WorkBatch> worker) implements Command {
  }

  private final OpRegistry registry;
  private final String node;
  private final Queue<WorkBatch> queued = new ArrayDeque<>();
  private final Queue<ActorRef<WorkBatch>> idle = new ArrayDeque<>();
  private final Map<ActorRef<WorkBatch>, WorkBatch> busy = new HashMap<>();
  private long spawned;

  /**
   * The pool as its agent sees it: it takes batches. They pass through a small actor in front of the queue, because
   * the queue also hears from its workers and a typed actor takes one protocol (the agent's tells stay unchanged).
   */
  public static Behavior<WorkBatch> create(OpRegistry registry, NodeSettings settings) {
    return Behaviors.setup(context -> {
      ActorRef<Command> queue = context.spawn(
          Behaviors.<Command>setup(queueContext -> new WorkerPool(queueContext, registry, settings.workers())),
          "queue");
      return Behaviors.receiveMessage(batch -> {
        queue.tell(new Queued(batch));
        return Behaviors.same();
      });
    });
  }

  private WorkerPool(ActorContext<Command> context, OpRegistry registry, int workers) {
    super(context);
    this.registry = registry;
    this.node = context.getSystem().address().toString();
    for (int i = 0; i < workers; i++) {
      spawnWorker();
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Queued.class, this::onQueued)
        .onMessage(Free.class, this::onFree)
        .onSignal(Terminated.class, this::onWorkerEnded)
        .build();
  }

  private Behavior<Command> onQueued(Queued queued) {
    this.queued.add(queued.batch());
    handOut();
    return this;
  }

  private Behavior<Command> onFree(Free free) {
    if (busy.remove(free.worker()) != null) {
      idle.add(free.worker());
      handOut();
    }
    return this;
  }

  /** A worker crashed (or stopped): its batch is answered as failed, and a new worker takes its place. */
  private Behavior<Command> onWorkerEnded(Terminated ended) {
    idle.remove(ended.getRef());
    WorkBatch batch = busy.remove(ended.getRef());
    String reason = ended instanceof ChildFailed failed
        ? "its worker crashed: " + Worker.reason(failed.getCause())
        : "its worker stopped";
    if (batch != null) {
      getContext().getLog().warn("batch {} of job {} (stage {}) fails: {}", batch.batch(), batch.jobId(),
          batch.stage(), reason);
      List<Item> items = batch.items() == null ? List.of() : batch.items();
      List<ItemResult> failed = new ArrayList<>(items.size());
      items.forEach(item -> failed.add(ItemResult.failed(item.key(), reason)));
      batch.replyTo().tell(new WorkResult(batch.batch(), failed, node));
    }
    spawnWorker();
    handOut();
    return this;
  }

  private void spawnWorker() {
    ActorRef<WorkBatch> worker = getContext().spawn(Worker.create(registry, getContext().getSelf()),
        "worker-" + spawned++, DispatcherSelector.fromConfig(CPU_DISPATCHER));
    getContext().watch(worker);
    idle.add(worker);
  }

  private void handOut() {
    while (!queued.isEmpty() && !idle.isEmpty()) {
      ActorRef<WorkBatch> worker = idle.remove();
      WorkBatch batch = queued.remove();
      busy.put(worker, batch);
      worker.tell(batch);
    }
  }
}
