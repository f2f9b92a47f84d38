package baton.node;

import baton.protocol.op.OpRegistry;
import baton.protocol.wire.WorkBatch;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** Starts a node's working parts under a parent actor: the worker pool and the agent that pulls work for it. */
public final class Node {

  private Node() {
  }

  /** Spawns the pool and its agent as children of the given actor. */
  public static ActorRef<NodeAgent.Command> start(ActorContext<?> context, OpRegistry registry,
      NodeSettings settings) {
    // Ops of jobs that brought their code come from the class loader the cache made for each such job.
    CodeCache.Settings code = CodeCache.Settings.from(context.getSystem().settings().config());
    ActorRef<CodeCache.Command> cache = context.spawn(CodeCache.create(registry, code), "code-cache");
    ActorRef<WorkBatch> pool = context.spawn(WorkerPool.create(registry, jobOps(cache, code, context), settings),
        "workers");
    return context.spawn(NodeAgent.create(pool, settings), "node");
  }

  /** Makes each worker's {@link JobOps} over the node's code cache; a worker waits a bundle's fetch and a bit. */
  static Supplier<JobOps> jobOps(ActorRef<CodeCache.Command> cache, CodeCache.Settings code,
      ActorContext<?> context) {
    Duration patience = code.fetchTimeout().plusSeconds(5);
    return () -> new JobOps(cache, patience, context.getSystem().scheduler());
  }

  /**
   * A guardian that is only a node, for {@code baton node}: it also keeps the node in its coordinator's cluster
   * (see {@link CoordinatorWatch}).
   *
   * @param notices where lines for the person who started the node go (the console), besides the log
   */
  public static Behavior<Void> guardian(OpRegistry registry, NodeSettings settings, Consumer<String> notices) {
    return Behaviors.setup(context -> {
      start(context, registry, settings);
      context.spawn(CoordinatorWatch.create(settings, notices), "coordinator-watch");
      return Behaviors.empty();
    });
  }
}
