package baton.coordinator.stream;

import baton.protocol.wire.CborSerializable;
import java.util.Arrays;
import java.util.BitSet;
import java.util.stream.LongStream;

/**
 * A job's durable progress at one moment: which input items are done (every sequence number below {@code high}
 * except those in {@code pending}), how many bytes of the output file hold their lines (and of the errors file, the
 * failed items' lines: {@code errorsBytes}, null in journals older than it), and their counts. The output writer
 * takes it right after a write, so the files and the record always agree; a resumed job cuts the files back to
 * these lengths and runs only the items not done.
 */
public record Progress(long high, long[] pending, long outputBytes, long succeeded, long failed, long filtered,
    long[] stageDone, long[] stageFailed, Long errorsBytes) implements CborSerializable {

  /** A progress without an errors file. */
  public Progress(long high, long[] pending, long outputBytes, long succeeded, long failed, long filtered,
      long[] stageDone, long[] stageFailed) {
    this(high, pending, outputBytes, succeeded, failed, filtered, stageDone, stageFailed, 0L);
  }

  /** Nothing done yet, for a job of {@code stages} stages. */
  public static Progress none(int stages) {
    return new Progress(0, new long[0], 0, 0, 0, 0, new long[stages + 1], new long[stages + 1]);
  }

  /** How many bytes of the errors file hold the failed items' lines. */
  public long errorsLength() {
    return errorsBytes == null ? 0 : errorsBytes;
  }

  /** Whether the item with input sequence number {@code seq} was done. */
  public boolean includes(long seq) {
    return isDone(seq);
  }

  boolean isDone(long seq) {
    return seq < high && Arrays.binarySearch(pending, seq) < 0;
  }

  /** Counts the outcomes that reached the end of a job's stream, starting from a {@link Progress}. */
  static final class Tracker {
    private static final int DROP_AT_LEAST = 4096;
    private final int stages;
    private final long[] stageDone;
    private final long[] stageFailed;
    // Every sequence number below `low` is done; bit i of `done` says whether base + i is (base <= low); none from
    // `high` on is.
    private long base;
    private long low;
    private long high;
    private BitSet done = new BitSet();
    private long succeeded;
    private long failed;
    private long filtered;

    Tracker(Progress from, int stages) {
      this.stages = stages;
      this.high = from.high;
      this.low = from.pending.length > 0 ? from.pending[0] : from.high;
      this.base = low;
      for (long seq = low; seq < high; seq++) {
        if (Arrays.binarySearch(from.pending, seq) < 0) {
          done.set(Math.toIntExact(seq - low));
        }
      }
      this.stageDone = Arrays.copyOf(from.stageDone, stages + 1);
      this.stageFailed = Arrays.copyOf(from.stageFailed, stages + 1);
      this.succeeded = from.succeeded;
      this.failed = from.failed;
      this.filtered = from.filtered;
    }

    void record(Outcome outcome) {
      long seq = outcome.seq();
      high = Math.max(high, seq + 1);
      done.set(Math.toIntExact(seq - base));
      if (seq == low) {
        int lowBit = done.nextClearBit(Math.toIntExact(low - base));
        low = base + lowBit;
        // The bits below `low` go only once they outnumber the rest: a later batch done first leaves a long record
        // ahead, and copying it on every step of `low` cost the job more than its items' hashing.
        if (lowBit >= DROP_AT_LEAST && lowBit >= done.length() - lowBit) {
          done = done.get(lowBit, Math.max(lowBit, done.length()));
          base = low;
        }
      }
      if (outcome instanceof Outcome.Ok) {
        succeeded++;
        passed(stages);
      } else if (outcome instanceof Outcome.Dropped dropped) {
        filtered++;
        passed(dropped.stage());
      } else {
        Outcome.Failed failure = (Outcome.Failed) outcome;
        failed++;
        passed(failure.stage() - 1);
        stageFailed[failure.stage()]++;
      }
    }

    private void passed(int throughStage) {
      for (int stage = 1; stage <= throughStage; stage++) {
        stageDone[stage]++;
      }
    }

    long succeeded() {
      return succeeded;
    }

    long filtered() {
      return filtered;
    }

    Progress progress(long outputBytes) {
      return progress(outputBytes, 0);
    }

    Progress progress(long outputBytes, long errorsBytes) {
      long[] open = LongStream.range(low, high).filter(seq -> !done.get((int) (seq - base))).toArray();
      return new Progress(high, open, outputBytes, succeeded, failed, filtered, stageDone.clone(),
          stageFailed.clone(), errorsBytes);
    }
  }
}
