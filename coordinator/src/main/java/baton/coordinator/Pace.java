package baton.coordinator;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A running job's recent pace and its stages' loads, from what its stream reports: samples of the items finished,
 * and each stage's in-flight count and saturated share ({@link baton.coordinator.stream.StageGauge}), kept for the
 * last {@link StatusSettings#window}. Owned by the job's actor and changed only by its messages; times are
 * {@link System#nanoTime} values the actor passes in.
 */
final class Pace {

  private record Finished(long nanos, long items) {
  }

  private record Load(long nanos, double share) {
  }

  private final long windowNanos;
  private final long sampleNanos;
  private final double bottleneckShare;
  private final int samplesNeeded;
  private final ArrayDeque<Finished> finished = new ArrayDeque<>();
  // Per stage, 1-based.
  private final List<ArrayDeque<Load>> loads = new ArrayList<>();
  private final int[] inFlight;

  /** A pace from {@code startNanos}, when {@code finishedAtStart} items were done already (a resumed job). */
  Pace(StatusSettings settings, int stages, long startNanos, long finishedAtStart) {
    this.windowNanos = settings.window().toNanos();
    this.sampleNanos = Math.max(1, settings.sampleInterval().toNanos());
    this.bottleneckShare = settings.bottleneckShare();
    // A stage is judged on a fifth of the window at least, so the first moments of a job decide nothing.
    this.samplesNeeded = (int) Math.max(2, windowNanos / sampleNanos / 5);
    this.inFlight = new int[stages + 1];
    for (int stage = 0; stage <= stages; stage++) {
      loads.add(new ArrayDeque<>());
    }
    finished.add(new Finished(startNanos, finishedAtStart));
  }

  /** {@code items} were finished in all at {@code nanos}; kept at most once per sample interval. */
  void finished(long nanos, long items) {
    if (nanos - finished.getLast().nanos() >= sampleNanos) {
      finished.add(new Finished(nanos, items));
      while (finished.size() > 1 && nanos - secondOldest().nanos() >= windowNanos) {
        finished.removeFirst();
      }
    }
  }

  private Finished secondOldest() {
    var samples = finished.iterator();
    samples.next();
    return samples.next();
  }

  /** Stage {@code stage} reported its load at {@code nanos}. */
  void load(long nanos, int stage, int calls, double saturatedShare) {
    inFlight[stage] = calls;
    ArrayDeque<Load> samples = loads.get(stage);
    samples.add(new Load(nanos, saturatedShare));
    while (nanos - samples.getFirst().nanos() > windowNanos) {
      samples.removeFirst();
    }
  }

  /** The stage's calls in flight at its last report. */
  int inFlight(int stage) {
    return inFlight[stage];
  }

  /**
   * Items finished per second over the window (since the start while the job is younger), with {@code itemsNow}
   * finished at {@code nanos}; null until a sample interval has passed.
   */
  Double perSecond(long nanos, long itemsNow) {
    Finished base = finished.getFirst();
    for (Finished sample : finished) {
      if (nanos - sample.nanos() < windowNanos) {
        break;
      }
      base = sample;
    }
    long elapsed = nanos - base.nanos();
    if (elapsed < sampleNanos) {
      return null;
    }
    return Math.max(0, itemsNow - base.items()) * 1e9 / elapsed;
  }

  /**
   * The stage (1-based) that was saturated for at least the bottleneck share of the window, the most saturated one
   * if several were; 0 when none was, or when the stages have not reported for long enough to say.
   */
  int bottleneck(long nanos) {
    int worst = 0;
    double worstShare = bottleneckShare;
    for (int stage = 1; stage < loads.size(); stage++) {
      double total = 0;
      int count = 0;
      for (Load load : loads.get(stage)) {
        if (nanos - load.nanos() <= windowNanos) {
          total += load.share();
          count++;
        }
      }
      ArrayDeque<Load> samples = loads.get(stage);
      // A stage that stopped reporting (its part of the stream ended) is not the bottleneck of what runs now.
      boolean recent = !samples.isEmpty() && nanos - samples.getLast().nanos() <= 3 * sampleNanos;
      if (count >= samplesNeeded && recent && total / count >= worstShare) {
        worst = stage;
        worstShare = total / count;
      }
    }
    return worst;
  }
}
