package baton.coordinator.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.wire.Item;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The record of which items are done, as a resumed job reads it. */
final class ProgressTest {

  @Test
  void tracker_itemsDoneOutOfOrder_progressSaysExactlyWhichAreDone() {
    Random random = new Random(11);
    List<Long> seqs = new ArrayList<>();
    for (long seq = 0; seq < 5000; seq++) {
      seqs.add(seq);
    }
    // Items finish out of order, but never far from where the input is: shuffle within windows of 300.
    for (int from = 0; from < seqs.size(); from += 300) {
      Collections.shuffle(seqs.subList(from, Math.min(seqs.size(), from + 300)), random);
    }
    Progress.Tracker tracker = new Progress.Tracker(Progress.none(1), 1);
    Set<Long> recorded = new HashSet<>();

    for (int i = 0; i < seqs.size(); i++) {
      tracker.record(new Outcome.Ok(seqs.get(i), Item.ofText("x")));
      recorded.add(seqs.get(i));
      if (i % 777 == 0) {
        Progress progress = tracker.progress(0);
        for (long seq = 0; seq < 5300; seq++) {
          assertEquals(recorded.contains(seq), progress.isDone(seq), "seq " + seq + " after " + (i + 1));
        }
      }
    }

    Progress all = tracker.progress(0);
    assertEquals(5000, all.high());
    assertArrayEquals(new long[0], all.pending());
    assertEquals(5000, all.succeeded());
  }

  @Test
  void tracker_resumedFromProgress_continuesWithTheSameRecord() {
    Progress.Tracker first = new Progress.Tracker(Progress.none(2), 2);
    for (long seq : new long[] {0, 1, 2, 5, 6, 9}) {
      first.record(new Outcome.Ok(seq, Item.ofText("x")));
    }
    first.record(new Outcome.Failed(4, "four", 2, "broken"));
    first.record(new Outcome.Dropped(8, "eight", 1));
    Progress saved = first.progress(123);

    Progress.Tracker resumed = new Progress.Tracker(saved, 2);
    resumed.record(new Outcome.Ok(3, Item.ofText("x")));
    resumed.record(new Outcome.Ok(7, Item.ofText("x")));
    Progress now = resumed.progress(456);

    assertEquals(10, saved.high());
    assertArrayEquals(new long[] {3, 7}, saved.pending());
    assertEquals(123, saved.outputBytes());
    assertArrayEquals(new long[0], now.pending());
    assertEquals(10, now.high());
    assertEquals(8, now.succeeded());
    assertEquals(1, now.failed());
    assertEquals(1, now.filtered());
    // Stage 1: 8 succeeded, the failed one passed it, the dropped one was dropped there. Stage 2: 8 done, 1 failed.
    assertArrayEquals(new long[] {0, 10, 8}, now.stageDone());
    assertArrayEquals(new long[] {0, 0, 1}, now.stageFailed());
  }

  @Test
  void tracker_itemsInOrderBehindALaterBatchDone_recordsEachWithoutCopyingTheRecord() {
    // A cpu stage's batches come back unordered: a later batch done first leaves a long record of done items ahead
    // of the first one still open, and each item of that one, in order, moves the low mark by one.
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    Progress.Tracker tracker = new Progress.Tracker(Progress.none(1), 1);
    Item item = Item.ofText("x");
    for (long seq = 20_000; seq < 60_000; seq++) {
      tracker.record(new Outcome.Ok(seq, item));
    }
    long before = threads.getCurrentThreadAllocatedBytes();

    for (long seq = 0; seq < 20_000; seq++) {
      tracker.record(new Outcome.Ok(seq, item));
    }

    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    // The record holds 60,000 bits, 7.5 KB: copied per item it would be 150 MB.
    assertTrue(allocated < 5_000_000, "recording 20,000 items allocated " + allocated + " bytes");
    Progress all = tracker.progress(0);
    assertEquals(60_000, all.high());
    assertArrayEquals(new long[0], all.pending());
    assertEquals(60_000, all.succeeded());
    tracker.record(new Outcome.Ok(60_001, item));
    assertArrayEquals(new long[] {60_000}, tracker.progress(0).pending());
  }
}
