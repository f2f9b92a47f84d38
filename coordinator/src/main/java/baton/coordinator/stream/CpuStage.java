package baton.coordinator.stream;

import baton.coordinator.WorkDispatcher;
import baton.protocol.op.Reasons;
import baton.protocol.spec.JobSpec;
import baton.protocol.wire.Item;
import baton.protocol.wire.WorkResult.ItemResult;
import baton.protocol.wire.WorkResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * A cpu stage of a job's stream: cuts chunks into batches and asks the {@link WorkDispatcher} to run each on a
 * worker, {@code parallelism} batches at a time, so memory stays bounded however many items the input has. Items a
 * worker failed are tried again through {@link StageRetry}.
 */
final class CpuStage {

  /** Hears how many items of a batch the worker on a node finished: each item once, on its last try. */
  interface Worked {
    void worked(String node, int items);
  }

  /** What a cpu stage sends its work to, with the job's priority, and how long it waits for an answer. */
  record Dispatching(String jobId, int priority, ActorRef<WorkDispatcher.Command> dispatcher,
      ActorRef<WorkDispatcher.Waiting> waitingTo, Duration batchAnswerTimeout, Scheduler scheduler) {
  }

  private final JobSpec.Stage stage;
  private final Dispatching dispatching;
  private final Duration itemTimeout;
  private final long maxItemBytes;
  private final StageRetry retry;
  private final Worked worked;

  /** @param maxItemBytes about the most bytes of items a batch carries ({@code baton.cluster.max-item-bytes}) */
  CpuStage(JobSpec.Stage stage, Dispatching dispatching, Duration itemTimeout, long maxItemBytes, StageRetry retry,
      Worked worked) {
    this.stage = stage;
    this.dispatching = dispatching;
    this.itemTimeout = itemTimeout;
    this.maxItemBytes = maxItemBytes;
    this.retry = retry;
    this.worked = worked;
  }

  Flow<List<Outcome>, List<Outcome>, NotUsed> flow() {
    return Flow.<List<Outcome>>create()
        .mapConcat(chunk -> batches(stage, chunk, maxItemBytes))
        .mapAsyncUnordered(stage.parallelism(), this::runBatch);
  }

  /**
   * Cuts a chunk into the batches a worker gets: at most {@code batch} items and about {@code max-item-bytes} bytes
   * each, since a batch is one message across the cluster. An item larger than that fails here, alone.
   */
  static List<List<Outcome>> batches(JobSpec.Stage stage, List<Outcome> chunk, long maxBytes) {
    List<List<Outcome>> batches = new ArrayList<>(1);
    List<Outcome> batch = new ArrayList<>(Math.min(chunk.size(), stage.batch()));
    long bytes = 0;
    for (Outcome outcome : chunk) {
      Outcome checked = refuseOversize(stage, outcome, maxBytes);
      long weight = weight(checked);
      if (!batch.isEmpty() && (batch.size() >= stage.batch() || bytes + weight > maxBytes)) {
        batches.add(batch);
        batch = new ArrayList<>(Math.min(chunk.size(), stage.batch()));
        bytes = 0;
      }
      batch.add(checked);
      bytes += weight;
    }
    if (!batch.isEmpty()) {
      batches.add(batch);
    }
    return batches;
  }

  private static Outcome refuseOversize(JobSpec.Stage stage, Outcome outcome, long maxBytes) {
    if (outcome instanceof Outcome.Ok ok && ok.item().payload().length > maxBytes) {
      return new Outcome.Failed(ok.seq(), ok.key(), stage.index(), "item has " + ok.item().payload().length
          + " bytes, more than a cpu stage takes (baton.cluster.max-item-bytes = " + maxBytes + ")");
    }
    return outcome;
  }

  private static long weight(Outcome outcome) {
    return outcome instanceof Outcome.Ok ok ? ok.item().payload().length + ok.key().length() : 0;
  }

  private CompletionStage<List<Outcome>> runBatch(List<Outcome> batch) {
    List<Outcome> done = new ArrayList<>(batch.size());
    List<Outcome.Ok> oks = new ArrayList<>(batch.size());
    for (Outcome outcome : batch) {
      if (outcome instanceof Outcome.Ok ok) {
        oks.add(ok);
      } else {
        done.add(outcome);
      }
    }
    if (oks.isEmpty()) {
      return CompletableFuture.completedFuture(done);
    }
    return retry.run(stage.index(), oks, this::dispatch).thenApply(outcomes -> {
      done.addAll(outcomes);
      return done;
    });
  }

  /** One try of a batch on a worker. */
  private CompletionStage<StageRetry.Tried> dispatch(List<Outcome.Ok> oks, int attempt) {
    List<Item> items = new ArrayList<>(oks.size());
    for (Outcome.Ok ok : oks) {
      items.add(ok.item());
    }
    // The dispatcher times each item from when a worker starts it, and answers a batch that overran; a batch may
    // wait for workers as long as it takes. The ask's own limit is only a guard against a dispatcher gone silent.
    Duration unanswered = dispatching.batchAnswerTimeout();
    CompletionStage<WorkResult> asked = AskPattern.ask(dispatching.dispatcher(),
        replyTo -> new WorkDispatcher.Dispatch(dispatching.jobId(), stage.index(), stage.ref(), items, itemTimeout,
            replyTo, dispatching.waitingTo(), dispatching.priority()),
        unanswered, dispatching.scheduler());
    return asked.handle((result, error) -> {
      List<Outcome> settled = new ArrayList<>(oks.size());
      List<StageRetry.Failure> failed = new ArrayList<>();
      for (int i = 0; i < oks.size(); i++) {
        Outcome.Ok ok = oks.get(i);
        ItemResult itemResult = error == null ? resultOf(result, i, ok, oks.size())
            : ItemResult.failed(ok.key(), Reasons.unwrap(error) instanceof TimeoutException
                ? "no answer from the dispatcher for its batch in " + unanswered.toMillis()
                    + " ms (baton.coordinator.batch-answer-timeout)"
                : Failures.reason(error, unanswered));
        switch (itemResult.status()) {
          case OK -> settled.add(ok.with(itemResult.payload()));
          case DROPPED -> settled.add(new Outcome.Dropped(ok.seq(), ok.key(), stage.index()));
          default -> failed.add(new StageRetry.Failure(ok, itemResult.error()));
        }
      }
      if (error == null) {
        // An item counts for the node that finished it, once; a try that will be retried does not.
        int finished = retry.allowsAnother(attempt) ? settled.size() : oks.size();
        if (finished > 0) {
          worked.worked(result.node(), finished);
        }
      }
      // Retrying a batch the dispatcher never answered would only queue it a second time.
      return new StageRetry.Tried(settled, failed, error == null);
    });
  }

  /**
   * The result for item {@code i} of a batch. A worker that answers a result for another key, or fewer results than
   * items, fails just those items; results beyond the batch's items are ignored.
   */
  private static ItemResult resultOf(WorkResult result, int i, Outcome.Ok ok, int items) {
    if (i >= result.results().size()) {
      return ItemResult.failed(ok.key(), "the worker on " + result.node() + " returned " + result.results().size()
          + " results for " + items + " items");
    }
    ItemResult itemResult = result.results().get(i);
    if (!ok.key().equals(itemResult.key())) {
      return ItemResult.failed(ok.key(), "the worker on " + result.node() + " returned a result for key "
          + itemResult.key() + " in its place");
    }
    return itemResult;
  }
}
