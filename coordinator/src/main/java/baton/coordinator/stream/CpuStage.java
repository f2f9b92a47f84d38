package baton.coordinator.stream;

import baton.coordinator.WorkDispatcher;
import baton.protocol.op.Reasons;
import baton.protocol.spec.JobSpec;
import baton.protocol.wire.Item;
import baton.protocol.wire.WorkResult.ItemResult;
import baton.protocol.wire.WorkResult;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * A cpu stage of a job's stream: cuts chunks into batches ({@link BatchCutter}, sized by {@link BatchSize}) and asks
 * the {@link WorkDispatcher} to run each on a worker, {@code parallelism} batches at a time, so memory stays bounded
 * however many items the input has. Items a worker failed are tried again through {@link StageRetry}.
 */
final class CpuStage {

  /** Hears how many items of a batch the worker on a node finished: each item once, on its last try. */
  interface Worked {
    void worked(String node, int items);

    /** A worker took {@code nanos} for a batch of {@code items} items. */
    default void took(int items, long nanos) {
    }
  }

  /** What a cpu stage sends its work to, with the job's priority, and how long it waits for an answer. */
  record Dispatching(String jobId, int priority, ActorRef<WorkDispatcher.Command> dispatcher,
      ActorRef<WorkDispatcher.Waiting> waitingTo, Duration batchAnswerTimeout, Scheduler scheduler) {
  }

  private final JobSpec.Stage stage;
  private final Dispatching dispatching;
  private final Duration itemTimeout;
  private final long maxItemBytes;
  private final BatchSize.Limits limits;
  private final StageRetry retry;
  private final Worked worked;
  private final Timer latency;

  /**
   * @param maxItemBytes about the most bytes of items a batch carries ({@code baton.cluster.max-item-bytes})
   * @param limits how large batches grow, and how long they aim to take, when the spec leaves {@code batch} out
   * @param latency times each try of a batch, from its dispatch to its answer
   */
  CpuStage(JobSpec.Stage stage, Dispatching dispatching, Duration itemTimeout, long maxItemBytes,
      BatchSize.Limits limits, StageRetry retry, Worked worked, Timer latency) {
    this.stage = stage;
    this.dispatching = dispatching;
    this.itemTimeout = itemTimeout;
    this.maxItemBytes = maxItemBytes;
    this.limits = limits;
    this.retry = retry;
    this.worked = worked;
    this.latency = latency;
  }

  Flow<List<Outcome>, List<Outcome>, NotUsed> flow() {
    return flow(calls -> calls);
  }

  /** The stage with its batches' calls wrapped by {@code gauge} (a {@link StageGauge} that measures them). */
  Flow<List<Outcome>, List<Outcome>, NotUsed> flow(
      UnaryOperator<Flow<BatchCutter.Batch, List<Outcome>, NotUsed>> gauge) {
    return Flow.<List<Outcome>>create()
        .via(new BatchCutter(stage, limits, maxItemBytes))
        .via(gauge.apply(Flow.<BatchCutter.Batch>create().mapAsyncUnordered(stage.parallelism(), this::runBatch)));
  }

  private CompletionStage<List<Outcome>> runBatch(BatchCutter.Batch cut) {
    List<Outcome> batch = cut.outcomes();
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
      cut.took().complete(BatchCutter.Took.NONE);
      return CompletableFuture.completedFuture(done);
    }
    // The report is complete before the batch's result is: the cutter reads it when it cuts the next batch.
    return retry.run(stage.index(), oks, (tried, attempt) -> dispatch(tried, attempt, cut.took()))
        .whenComplete((outcomes, error) -> cut.took().complete(BatchCutter.Took.NONE))
        .thenApply(outcomes -> {
          done.addAll(outcomes);
          return done;
        });
  }

  /** One try of a batch on a worker; how long the worker took for the first try it answered goes to {@code took}. */
  private CompletionStage<StageRetry.Tried> dispatch(List<Outcome.Ok> oks, int attempt,
      CompletableFuture<BatchCutter.Took> took) {
    List<Item> items = new ArrayList<>(oks.size());
    for (Outcome.Ok ok : oks) {
      items.add(ok.item());
    }
    // The dispatcher times each item from when a worker starts it, and answers a batch that overran; a batch may
    // wait for workers as long as it takes. The ask's own limit is only a guard against a dispatcher gone silent.
    Duration unanswered = dispatching.batchAnswerTimeout();
    long sent = System.nanoTime();
    CompletionStage<WorkResult> asked = AskPattern.ask(dispatching.dispatcher(),
        replyTo -> new WorkDispatcher.Dispatch(dispatching.jobId(), stage.index(), stage.ref(), items, itemTimeout,
            replyTo, dispatching.waitingTo(), dispatching.priority()),
        unanswered, dispatching.scheduler());
    return asked.handle((result, error) -> {
      latency.record(System.nanoTime() - sent, TimeUnit.NANOSECONDS);
      if (error == null && result.runNanos() > 0) {
        took.complete(new BatchCutter.Took(oks.size(), result.runNanos()));
        worked.took(oks.size(), result.runNanos());
      }
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
   * items, fails just those items; results beyond the batch's items are ignored. A result without a key (as every
   * result from a node arrives, see {@code WireSerializer}) is the item's at its place.
   */
  private static ItemResult resultOf(WorkResult result, int i, Outcome.Ok ok, int items) {
    if (i >= result.results().size()) {
      return ItemResult.failed(ok.key(), "the worker on " + result.node() + " returned " + result.results().size()
          + " results for " + items + " items");
    }
    ItemResult itemResult = result.results().get(i);
    if (itemResult.key() != null && !ok.key().equals(itemResult.key())) {
      return ItemResult.failed(ok.key(), "the worker on " + result.node() + " returned a result for key "
          + itemResult.key() + " in its place");
    }
    return itemResult;
  }
}
