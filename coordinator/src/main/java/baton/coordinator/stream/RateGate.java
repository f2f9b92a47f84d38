package baton.coordinator.stream;

import baton.protocol.spec.JobSpec;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.ThrottleMode;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A stage's {@code rate}: every try of the stage's op calls (first tries and retries alike, since an API's quota
 * counts calls) asks the gate first and starts once it opens. The gate is a small stream of its own, a queue into
 * Pekko's {@code throttle}, so one limit holds across all of the stage's calls however many are in flight. The gate
 * also tells whether calls wait for the limit, which {@code status} shows.
 *
 * <p>The burst: a throttle whose bucket saves up a whole period's worth lets twice the limit into one period (the
 * full bucket, then its refill), which an API counting calls per period refuses. A bucket of one call loses rate
 * whenever the scheduler's timer fires late (it ticks every 10 ms) and calls are due more often than that. So when
 * calls are due every two ticks or more often, the gate lets the calls of two ticks through at once and runs the
 * steady rate lower by as many; otherwise it lets one call through at a time at the full rate. Either way a period
 * never holds more than the limit (give or take the one call a late timer lets through early).
 */
final class RateGate {

  /** Hears when the stage starts and stops waiting for its limit. */
  interface Throttled {
    void throttled(boolean waiting);
  }

  private static final CompletionStage<Boolean> CLOSED = CompletableFuture.completedFuture(false);

  private final BoundedSourceQueue<Permit> queue;
  private final CompletableFuture<?> ended;

  /** A try waiting for the gate: {@code cost} calls, asked for at {@code askedNanos}. */
  private record Permit(int cost, long askedNanos, CompletableFuture<Boolean> opened) {
  }

  /** What the gate's tracker hears: a permit the throttle let through, or a tick of its clock. */
  private sealed interface Event {
  }

  private record Granted(long waitedNanos) implements Event {
  }

  private enum Tick implements Event { INSTANCE }

  private RateGate(BoundedSourceQueue<Permit> queue, CompletableFuture<?> ended) {
    this.queue = queue;
    this.ended = ended;
  }

  /**
   * Starts the gate of a stage with a rate.
   *
   * @param waiters the most tries that wait at once (the stage's parallelism)
   * @param check how often the gate tells whether calls wait
   * @param burst how much time's worth of calls may start at once
   * @param ended completes when the job's stream has ended; the gate stops then
   */
  static RateGate start(JobSpec.Rate rate, int waiters, Duration check, Duration burst, Throttled throttled,
      CompletableFuture<?> ended, Materializer materializer) {
    long perNanos = rate.per().toNanos();
    int items = items(rate);
    int atOnce = atOnce(rate, burst);
    // One at a time loses nothing when calls are due two ticks apart or more; else the steady rate makes room.
    int steady = atOnce < 2 ? items : items - atOnce;
    long tokenNanos = perNanos / steady;
    // A call waited for the limit when it waited about a token's time or more; less is the gate's own latency.
    long waitNanos = Math.max(tokenNanos / 2, Duration.ofMillis(1).toNanos());
    Duration every = check.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : check;
    // The tracker counts the tries queued before the throttle; the queue is known once the gate runs. One graph,
    // not a pre-materialized queue: across that boundary, tries would wait in a buffer where nothing counts them.
    CompletableFuture<BoundedSourceQueue<Permit>> known = new CompletableFuture<>();
    Pair<BoundedSourceQueue<Permit>, UniqueKillSwitch> running = Source.<Permit>queue(waiters + 1)
        .throttle(steady, rate.per(), atOnce, Permit::cost, ThrottleMode.shaping())
        .map(permit -> {
          permit.opened().complete(true);
          return (Event) new Granted(System.nanoTime() - permit.askedNanos());
        })
        .merge(Source.tick(every, every, (Event) Tick.INSTANCE), true)
        .viaMat(KillSwitches.single(), Keep.both())
        .statefulMap(() -> new Tracker(known, waitNanos, Math.max(2 * tokenNanos, every.toNanos()), throttled),
            (tracker, event) -> Pair.create(tracker, tracker.on(event)),
            tracker -> Optional.empty())
        .toMat(Sink.ignore(), Keep.left())
        .run(materializer);
    known.complete(running.first());
    ended.whenComplete((done, failure) -> running.second().shutdown());
    return new RateGate(running.first(), ended);
  }

  /**
   * How many calls the gate of {@code rate} lets through at once: the calls due in {@code burst}, at least one and
   * at most half the limit. A cpu stage's batch is no larger, so that a batch never draws on calls still to come.
   */
  static int atOnce(JobSpec.Rate rate, Duration burst) {
    long perNanos = rate.per().toNanos();
    int items = items(rate);
    return (int) Math.max(1, Math.min(items / 2, (items * burst.toNanos() + perNanos - 1) / perNanos));
  }

  // Pekko's throttle takes at most one call a nanosecond; a faster rate than that limits nothing anyway.
  private static int items(JobSpec.Rate rate) {
    return (int) Math.min(rate.items(), rate.per().toNanos());
  }

  /**
   * Waits for the gate to let {@code cost} calls through: completes with true when they may start, or with false
   * when the job's stream ended first (nothing will read what they do).
   */
  CompletionStage<Boolean> pass(int cost) {
    if (ended.isDone()) {
      return CLOSED;
    }
    Permit permit = new Permit(cost, System.nanoTime(), new CompletableFuture<>());
    QueueOfferResult offered = queue.offer(permit);
    if (offered == QueueOfferResult.enqueued()) {
      return permit.opened();
    }
    if (offered instanceof QueueOfferResult.Failure || offered == QueueOfferResult.closed()) {
      // The gate stopped with the job's stream.
      return CLOSED;
    }
    return CompletableFuture.failedFuture(new IllegalStateException(
        "more tries wait for the rate limit than the stage has in flight"));
  }

  /**
   * Decides whether the stage waits for its limit: it does while tries queue behind the throttle, or while a try
   * let through in about the last two tokens' time had to wait for it.
   */
  private static final class Tracker {
    private final CompletableFuture<BoundedSourceQueue<Permit>> queue;
    private final long waitNanos;
    private final long memoryNanos;
    private final Throttled listener;
    private boolean throttled;
    private long lastWaited;

    Tracker(CompletableFuture<BoundedSourceQueue<Permit>> queue, long waitNanos, long memoryNanos, Throttled listener) {
      this.queue = queue;
      this.waitNanos = waitNanos;
      this.memoryNanos = memoryNanos;
      this.listener = listener;
    }

    Done on(Event event) {
      long now = System.nanoTime();
      boolean waiting;
      if (event instanceof Granted granted) {
        if (granted.waitedNanos() >= waitNanos) {
          lastWaited = now;
          waiting = true;
        } else {
          waiting = throttled;
        }
      } else {
        BoundedSourceQueue<Permit> queued = queue.getNow(null);
        waiting = (queued != null && queued.size() > 0) || (lastWaited != 0 && now - lastWaited < memoryNanos);
      }
      if (waiting != throttled) {
        throttled = waiting;
        listener.throttled(waiting);
      }
      return Done.getInstance();
    }
  }
}
