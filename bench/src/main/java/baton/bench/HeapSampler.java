package baton.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples this JVM's used heap every few milliseconds on a daemon thread: the peak since the last reset, and the
 * low points (the heap just after a collection, roughly what is live) per second, to tell flat memory from growth.
 */
final class HeapSampler implements AutoCloseable {

  private static final long INTERVAL_MILLIS = 10;
  private static final long TROUGH_WINDOW_NANOS = 1_000_000_000L;

  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final AtomicLong peak = new AtomicLong();
  private final Thread thread;
  private final List<Long> troughs = new ArrayList<>();
  private volatile boolean running = true;
  private long troughStart;
  private long trough = Long.MAX_VALUE;

  HeapSampler() {
    thread = new Thread(this::sample, "heap-sampler");
    thread.setDaemon(true);
    thread.start();
  }

  /** Collects garbage so the next peak starts from what is live, then starts a new peak. */
  void reset() {
    System.gc();
    peak.set(used());
    synchronized (troughs) {
      troughs.clear();
      troughStart = System.nanoTime();
      trough = Long.MAX_VALUE;
    }
  }

  long peak() {
    return Math.max(peak.get(), used());
  }

  /** The lowest used heap in each second since the reset, oldest first. */
  List<Long> troughs() {
    synchronized (troughs) {
      return List.copyOf(troughs);
    }
  }

  private long used() {
    return memory.getHeapMemoryUsage().getUsed();
  }

  private void sample() {
    while (running) {
      long used = used();
      peak.accumulateAndGet(used, Math::max);
      synchronized (troughs) {
        trough = Math.min(trough, used);
        if (System.nanoTime() - troughStart >= TROUGH_WINDOW_NANOS) {
          troughs.add(trough);
          trough = Long.MAX_VALUE;
          troughStart = System.nanoTime();
        }
      }
      try {
        Thread.sleep(INTERVAL_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
  }
}
