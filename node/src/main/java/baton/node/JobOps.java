package baton.node;

import baton.protocol.op.CpuOp;
import baton.protocol.op.OpRegistry;
import baton.protocol.spec.OpRef;
import baton.protocol.spec.SpecException;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * A worker's ops of jobs that brought their code ({@link OpRef#code()}): each made from its job's own registry, which
 * the node's {@link CodeCache} gives (fetching the bundle the first time; the worker waits for it, on its own
 * thread). The cache holds the ops it was told of; the worker only weakly, so that when the cache lets go of a job
 * (it ended), the job's ops and class loader go from every worker too. One per worker, used on its thread only.
 */
final class JobOps {

  private record Key(String jobId, OpRef op) {
  }

  private final ActorRef<CodeCache.Command> cache;
  private final Duration patience;
  private final Scheduler scheduler;
  private final Map<Key, WeakReference<CpuOp>> ops = new HashMap<>();

  /** @param patience how long a worker waits for the cache's answer, the bundle's fetch included */
  JobOps(ActorRef<CodeCache.Command> cache, Duration patience, Scheduler scheduler) {
    this.cache = cache;
    this.patience = patience;
    this.scheduler = scheduler;
  }

  /**
   * The op of {@code ref} for a batch of job {@code jobId}: the one made before while the job's code stays, else a
   * new one from the job's registry.
   *
   * @throws SpecException when the job's code cannot be had (not fetched in time, the job ended) or lacks the op
   */
  CpuOp get(String jobId, OpRef ref) {
    Key key = new Key(jobId, ref);
    WeakReference<CpuOp> kept = ops.get(key);
    CpuOp op = kept == null ? null : kept.get();
    if (op != null) {
      cache.tell(new CodeCache.InUse(jobId));
      return op;
    }
    // Forget the ops of jobs the cache let go of.
    ops.values().removeIf(weak -> weak.get() == null);
    CodeCache.Loaded loaded = AskPattern.<CodeCache.Command, CodeCache.Loaded>ask(cache,
        replyTo -> new CodeCache.Get(jobId, ref.code(), replyTo), patience, scheduler).toCompletableFuture().join();
    if (loaded.error() != null) {
      throw new SpecException(loaded.error());
    }
    OpRegistry registry = loaded.registry();
    op = registry.createCpu(ref.withoutCode());
    ops.put(key, new WeakReference<>(op));
    cache.tell(new CodeCache.Made(jobId, registry, op));
    return op;
  }
}
