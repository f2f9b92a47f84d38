package baton.coordinator.stream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.Patterns;

/**
 * The one retry mechanism of a job's io and cpu stages: a try settles some items and fails others; the failed ones
 * are tried again after a backoff, up to the spec's {@code retries}, and once the job's stream has ended no try
 * starts at all, so no op is called for an outcome nothing will read (after a cancel, say). In a stage with a
 * {@code rate}, every try (a retry too: an API's quota counts calls) first passes the stage's {@link RateGate}.
 */
final class StageRetry {

  static final String ENDED = "not run: the job's stream has ended";

  /** One try over some items: runs them all, and tells what became of each. */
  interface Attempt {
    CompletionStage<Tried> run(List<Outcome.Ok> items, int attempt);
  }

  /** An item a try failed, and why. */
  record Failure(Outcome.Ok item, String reason) {
  }

  /**
   * What one try did: the items it settled (passed on or dropped), those it failed, and whether a failure is worth
   * another try (a batch the dispatcher never answered is not: it would only queue it a second time).
   */
  record Tried(List<Outcome> settled, List<Failure> failed, boolean retryable) {
  }

  private final int retries;
  private final IntFunction<Duration> backoff;
  private final ActorSystem<?> system;
  private final CompletableFuture<?> ended;
  private final Map<Integer, RateGate> gates;

  /**
   * @param retries the tries after the first one an item gets
   * @param backoff the wait before retry number {@code attempt} (1-based)
   * @param ended completes when the job's stream has ended
   */
  StageRetry(int retries, IntFunction<Duration> backoff, ActorSystem<?> system, CompletableFuture<?> ended) {
    this(retries, backoff, system, ended, Map.of());
  }

  /** @param gates the gate of each stage (by index) that has a rate */
  StageRetry(int retries, IntFunction<Duration> backoff, ActorSystem<?> system, CompletableFuture<?> ended,
      Map<Integer, RateGate> gates) {
    this.retries = retries;
    this.backoff = backoff;
    this.system = system;
    this.ended = ended;
    this.gates = gates;
  }

  /** Whether an item that failed try number {@code attempt} (1-based) gets another. */
  boolean allowsAnother(int attempt) {
    return attempt <= retries;
  }

  /**
   * Runs {@code attempt} over {@code items} until each is settled or out of tries: every item ends in exactly one
   * outcome of the result, a failure with the reason of its last try, stage {@code stage}.
   */
  CompletionStage<List<Outcome>> run(int stage, List<Outcome.Ok> items, Attempt attempt) {
    return run(stage, items, attempt, 1);
  }

  private CompletionStage<List<Outcome>> run(int stage, List<Outcome.Ok> items, Attempt attempt, int number) {
    if (ended.isDone()) {
      // A retry whose backoff outlasted the stream (the job was cancelled, say): nothing will read its outcome.
      return CompletableFuture.completedFuture(failAll(stage, items, number - 1));
    }
    RateGate gate = gates.get(stage);
    if (gate == null) {
      return attempt.run(items, number).thenCompose(tried -> settle(stage, items, attempt, number, tried));
    }
    // The gate may open after the stream ended (a cancel while the try waited): then no op is called either.
    return gate.pass(items.size()).thenCompose(open -> open && !ended.isDone()
        ? attempt.run(items, number).thenCompose(tried -> settle(stage, items, attempt, number, tried))
        : CompletableFuture.completedFuture(failAll(stage, items, number - 1)));
  }

  private CompletionStage<List<Outcome>> settle(int stage, List<Outcome.Ok> items, Attempt attempt, int number,
      Tried tried) {
    List<Outcome> done = new ArrayList<>(tried.settled());
    List<Outcome.Ok> again = new ArrayList<>();
    for (Failure failure : tried.failed()) {
      if (tried.retryable() && allowsAnother(number)) {
        again.add(failure.item());
      } else {
        Outcome.Ok ok = failure.item();
        done.add(new Outcome.Failed(ok.seq(), ok.key(), stage, failure.reason(), number));
      }
    }
    if (again.isEmpty()) {
      return CompletableFuture.completedFuture(done);
    }
    return Patterns.after(backoff.apply(number), system, () -> run(stage, again, attempt, number + 1))
        .thenApply(retried -> {
          done.addAll(retried);
          return done;
        });
  }

  private static List<Outcome> failAll(int stage, List<Outcome.Ok> items, int tried) {
    List<Outcome> failed = new ArrayList<>(items.size());
    for (Outcome.Ok ok : items) {
      failed.add(new Outcome.Failed(ok.seq(), ok.key(), stage, ENDED, tried));
    }
    return failed;
  }
}
