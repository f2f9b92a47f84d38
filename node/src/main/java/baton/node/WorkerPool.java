package baton.node;

import baton.protocol.op.OpRegistry;
import baton.protocol.wire.Item;
import baton.protocol.wire.WorkBatch;
import baton.protocol.wire.WorkResult;
import baton.protocol.wire.WorkResult.ItemResult;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.function.Supplier;
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
 *
 * <p>The node holds more batches than it has workers (its agent's credits), so the queue orders them between jobs
 * as the dispatcher does, by start-time fair queuing counted in items but without weights (the node does not know
 * priorities): a batch starts at its job's finish time or at the start of the batch last handed out, whichever is
 * later, and the earliest start goes first. So a job that just came is not kept behind another job's
 * batches that the node took before it.
 */
public final class WorkerPool extends AbstractBehavior<WorkerPool.Command> {

  /** The dispatcher declared in the node's {@code reference.conf}, sized to the cores. */
  public static final String CPU_DISPATCHER = "baton.cpu-dispatcher";

  /** What the pool's queue receives: batches to run, and word from its workers. */
  interface Command {
  }

  /** A batch to run. */
  record Run(WorkBatch batch) implements Command {
  }

  /** A worker answered its batch and takes the next one. */
  record Free(ActorRef<WorkBatch> worker) implements Command {
  }

  /** A batch waiting for a worker, with its start in the fair queue and its place in arrival order (for ties). */
  private record Waiting(WorkBatch batch, long start, long arrived) {
  }

  private static final Comparator<Waiting> EARLIEST_START =
      Comparator.comparingLong(Waiting::start).thenComparingLong(Waiting::arrived);

  /** A job with batches queued or ahead of the others: its finish time so far and how many of its batches wait. */
  private static final class QueuedJob {
    long finish;
    int waiting;
  }

  private final OpRegistry registry;
  // Each worker's own ops of jobs that brought their code; null: none.
  private final Supplier<JobOps> jobOps;
  private final String node;
  private final Queue<Waiting> queued = new PriorityQueue<>(EARLIEST_START);
  // Only jobs with batches waiting or a finish time still ahead: the others would start at the virtual time anyway.
  private final Map<String, QueuedJob> jobs = new HashMap<>();
  private long virtualTime;
  private long arrivals;
  private final Queue<ActorRef<WorkBatch>> idle = new ArrayDeque<>();
  private final Map<ActorRef<WorkBatch>, WorkBatch> busy = new HashMap<>();
  private long spawned;

  /**
   * The pool as its agent sees it: it takes batches. They pass through a small actor in front of the queue, because
   * the queue also hears from its workers and a typed actor takes one protocol (the agent's tells stay unchanged).
   */
  public static Behavior<WorkBatch> create(OpRegistry registry, NodeSettings settings) {
    return create(registry, null, settings);
  }

  /**
   * A pool that also runs jobs that brought their code: each worker gets its ops of them from a {@link JobOps} of its
   * own, made by {@code jobOps} (null: none; such a batch's op is looked for among the installed ones).
   */
  static Behavior<WorkBatch> create(OpRegistry registry, Supplier<JobOps> jobOps, NodeSettings settings) {
    return Behaviors.setup(context -> {
      ActorRef<Command> queue = context.spawn(queue(registry, jobOps, settings.workers()), "queue");
      return Behaviors.receiveMessage(batch -> {
        queue.tell(new Run(batch));
        return Behaviors.same();
      });
    });
  }

  /** The queue and its workers, without the actor in front. */
  static Behavior<Command> queue(OpRegistry registry, int workers) {
    return queue(registry, null, workers);
  }

  private static Behavior<Command> queue(OpRegistry registry, Supplier<JobOps> jobOps, int workers) {
    return Behaviors.setup(context -> new WorkerPool(context, registry, jobOps, workers));
  }

  private WorkerPool(ActorContext<Command> context, OpRegistry registry, Supplier<JobOps> jobOps, int workers) {
    super(context);
    this.registry = registry;
    this.jobOps = jobOps;
    this.node = context.getSystem().address().toString();
    for (int i = 0; i < workers; i++) {
      spawnWorker();
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Run.class, this::onRun)
        .onMessage(Free.class, this::onFree)
        .onSignal(Terminated.class, this::onWorkerEnded)
        .build();
  }

  private Behavior<Command> onRun(Run run) {
    WorkBatch batch = run.batch();
    QueuedJob job = jobs.computeIfAbsent(batch.jobId(), id -> new QueuedJob());
    long start = Math.max(virtualTime, job.finish);
    job.finish = start + (batch.items() == null ? 1 : Math.max(1, batch.items().size()));
    job.waiting++;
    queued.add(new Waiting(batch, start, arrivals++));
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
    ActorRef<WorkBatch> worker = getContext().spawn(
        Worker.create(registry, jobOps == null ? null : jobOps.get(), getContext().getSelf()),
        "worker-" + spawned++, DispatcherSelector.fromConfig(CPU_DISPATCHER));
    getContext().watch(worker);
    idle.add(worker);
  }

  private void handOut() {
    while (!queued.isEmpty() && !idle.isEmpty()) {
      ActorRef<WorkBatch> worker = idle.remove();
      Waiting next = queued.remove();
      WorkBatch batch = next.batch();
      virtualTime = next.start();
      jobs.get(batch.jobId()).waiting--;
      jobs.values().removeIf(job -> job.waiting == 0 && job.finish <= virtualTime);
      busy.put(worker, batch);
      worker.tell(batch);
    }
  }
}
