package baton.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The contenders without Baton, written the way a Java user writes them: a fixed pool sharing state under locks,
 * one plain thread, and virtual threads. With the JobRunr contender and the many-jobs driver, the only place in
 * Baton where locks, {@code synchronized} and concurrent collections appear.
 */
final class ThreadContenders {

  private ThreadContenders() {
  }

  /** A fixed pool of one thread per core; results in one map under {@code synchronized}, progress under a lock. */
  static final class LockPool implements Contender {
    private final int threads;
    private final HeapSampler heap;

    LockPool(int threads, HeapSampler heap) {
      this.threads = threads;
      this.heap = heap;
    }

    @Override
    public String name() {
      return "lock pool";
    }

    @Override
    public long items(Workload workload, double budgetSeconds) {
      return Contender.itemsForThreads(workload, threads, budgetSeconds);
    }

    @Override
    public Run run(Workload workload) throws Exception {
      Map<String, byte[]> results = new HashMap<>();
      ReentrantLock progressLock = new ReentrantLock();
      Condition allDone = progressLock.newCondition();
      long[] done = {0};
      long[] failed = {0};
      long items = workload.items();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      heap.reset();
      long start = System.nanoTime();
      try {
        for (long n = 1; n <= items; n++) {
          String key = Long.toString(n);
          pool.execute(() -> {
            boolean ok = false;
            try {
              byte[] value = Steps.run(workload, key);
              synchronized (results) {
                results.put(key, value);
              }
              ok = true;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } finally {
              progressLock.lock();
              try {
                done[0]++;
                if (!ok) {
                  failed[0]++;
                }
                if (done[0] == items) {
                  allDone.signalAll();
                }
              } finally {
                progressLock.unlock();
              }
            }
          });
        }
        progressLock.lock();
        try {
          while (done[0] < items) {
            allDone.await();
          }
        } finally {
          progressLock.unlock();
        }
      } finally {
        pool.shutdownNow();
      }
      long nanos = System.nanoTime() - start;
      synchronized (results) {
        if (results.size() != items) {
          throw new IllegalStateException("lock pool: " + results.size() + " results of " + items);
        }
      }
      return new Run(items, nanos, heap.peak(), "");
    }
  }

  /** One plain thread, results in a map. */
  static final class OneThread implements Contender {
    private final HeapSampler heap;

    OneThread(HeapSampler heap) {
      this.heap = heap;
    }

    @Override
    public String name() {
      return "1 thread";
    }

    @Override
    public long items(Workload workload, double budgetSeconds) {
      return Contender.itemsForThreads(workload, 1, budgetSeconds);
    }

    @Override
    public Run run(Workload workload) throws Exception {
      Map<String, byte[]> results = new HashMap<>();
      heap.reset();
      long start = System.nanoTime();
      for (long n = 1; n <= workload.items(); n++) {
        String key = Long.toString(n);
        results.put(key, Steps.run(workload, key));
      }
      long nanos = System.nanoTime() - start;
      return new Run(results.size(), nanos, heap.peak(), "");
    }
  }

  /**
   * A virtual thread per item (JDK 21 and later, found at run time so the build stays on Java 17), at most the
   * workload's io parallelism at once, results in a concurrent map.
   */
  static final class VirtualThreads implements Contender {
    private static final int CPU_ONLY_IN_FLIGHT = 10_000;
    private final HeapSampler heap;

    VirtualThreads(HeapSampler heap) {
      this.heap = heap;
    }

    static boolean available() {
      return Runtime.version().feature() >= 21;
    }

    @Override
    public String name() {
      return "virtual threads";
    }

    @Override
    public long items(Workload workload, double budgetSeconds) {
      return Contender.itemsForThreads(workload, inFlight(workload), budgetSeconds);
    }

    private static int inFlight(Workload workload) {
      return workload.ioParallelism() > 0 ? workload.ioParallelism() : CPU_ONLY_IN_FLIGHT;
    }

    @Override
    public Run run(Workload workload) throws Exception {
      Map<String, byte[]> results = new ConcurrentHashMap<>();
      long items = workload.items();
      CountDownLatch done = new CountDownLatch(Math.toIntExact(items));
      Semaphore permits = new Semaphore(inFlight(workload));
      ExecutorService executor = newVirtualThreadPerTaskExecutor();
      heap.reset();
      long start = System.nanoTime();
      try {
        for (long n = 1; n <= items; n++) {
          String key = Long.toString(n);
          permits.acquire();
          executor.execute(() -> {
            try {
              results.put(key, Steps.run(workload, key));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } finally {
              permits.release();
              done.countDown();
            }
          });
        }
        done.await();
      } finally {
        executor.shutdown();
        executor.awaitTermination(1, TimeUnit.MINUTES);
      }
      long nanos = System.nanoTime() - start;
      if (results.size() != items) {
        throw new IllegalStateException("virtual threads: " + results.size() + " results of " + items);
      }
      return new Run(items, nanos, heap.peak(), "");
    }

    private static ExecutorService newVirtualThreadPerTaskExecutor() throws Exception {
      try {
        return (ExecutorService) MethodHandles.publicLookup()
            .findStatic(Executors.class, "newVirtualThreadPerTaskExecutor", MethodType.methodType(ExecutorService.class))
            .invoke();
      } catch (Exception | Error e) {
        throw e;
      } catch (Throwable e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
