package baton.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The many-jobs workload: tiny jobs (the numbers 1..10, each hashed once) submitted by several clients at once, as
 * fast as the system takes them, and waited for until the last one has succeeded; and, apart from that, one tiny
 * job at a time on an idle system. Each client is a thread that submits its share of the jobs back to back and a
 * thread that waits for them in the order they went in, polling the oldest unfinished one. The clients are plain
 * threads handing job ids over a queue: this is the load driver, outside Baton.
 */
final class ManyJobs {

  static final String NAME = "many-jobs";
  static final String ONE_JOB = "one job, idle";
  /** The items of each job; a job succeeds with all of them. */
  static final long ITEMS = 10;
  /** The job Baton runs; JobRunr runs the same ten hashes in one of its jobs. */
  static final Workload JOB = new Workload(NAME, ITEMS, List.of(new Workload.Sha256(1)), false);

  /**
   * How the workload runs.
   *
   * @param jobs the jobs of one burst
   * @param clients the clients submitting a burst at once
   * @param warmUps the most bursts run first and not counted, until two in a row agree within 10%
   * @param rounds bursts counted: jobs/s is their median, the latencies are of all their jobs together
   * @param singleJobs jobs run one at a time on the idle system; a tenth as many go first, not counted
   * @param burstPoll how long a client waits before it asks again about a job still running, in a burst
   * @param singlePoll the same, one job at a time
   * @param singlePause one job at a time, the most a client pauses (a random share of it) before the next job:
   *     a system that polls on a timer (JobRunr every 200 ms) would otherwise get every job at the same phase
   * @param deadline the longest a burst or the single jobs may take before the run is called failed
   */
  record Settings(int jobs, int clients, int warmUps, int rounds, int singleJobs, Duration burstPoll,
      Duration singlePoll, Duration singlePause, Duration deadline) {
    static Settings of(boolean quick) {
      return quick
          ? new Settings(100, 8, 1, 1, 20, Duration.ofMillis(5), Duration.ofMillis(2), Duration.ofMillis(200),
              Duration.ofMinutes(3))
          : new Settings(300, 8, 5, 3, 100, Duration.ofMillis(5), Duration.ofMillis(2), Duration.ofMillis(200),
              Duration.ofMinutes(5));
    }
  }

  /**
   * What a burst (or a series of single jobs) did.
   *
   * @param nanos from the first submission to the last job seen finished
   * @param inSystem each job's time by the system's own clock, from taken to finished
   * @param seen each job's time by its client: from sending the submission to seeing the job succeeded
   */
  record Result(long jobs, long nanos, Latencies inSystem, Latencies seen) {
    double jobsPerSecond() {
      return jobs * 1e9 / nanos;
    }
  }

  /** A system the workload runs on: its name, and how to reach it (started by the first call). */
  record Target(String name, Callable<JobApi> open) {
  }

  private ManyJobs() {
  }

  /** Submits {@code jobs} jobs through {@code clients} clients at once and waits for every one of them. */
  static Result burst(JobApi api, int jobs, int clients, Duration poll, Duration deadline) throws Exception {
    if (jobs < 1 || clients < 1) {
      throw new IllegalArgumentException("a burst needs at least one job and one client");
    }
    ExecutorService threads = Executors.newFixedThreadPool(2 * clients);
    long start = System.nanoTime();
    long until = start + deadline.toNanos();
    try {
      List<Future<Waited>> waiters = new ArrayList<>();
      List<Future<?>> submitters = new ArrayList<>();
      for (int client = 0; client < clients; client++) {
        int share = jobs / clients + (client < jobs % clients ? 1 : 0);
        BlockingQueue<Optional<Submitted>> handOver = new LinkedBlockingQueue<>();
        submitters.add(threads.submit(() -> {
          try {
            for (int n = 0; n < share; n++) {
              long sent = System.nanoTime();
              handOver.put(Optional.of(new Submitted(api.submit(), sent)));
            }
          } finally {
            handOver.put(Optional.empty());
          }
          return null;
        }));
        waiters.add(threads.submit(() -> waitForAll(api, handOver, poll, until)));
      }
      for (Future<?> submitter : submitters) {
        outcome(submitter);
      }
      Latencies inSystem = new Latencies();
      Latencies seen = new Latencies();
      long last = start;
      for (Future<Waited> waiter : waiters) {
        Waited waited = outcome(waiter);
        inSystem.add(waited.inSystem());
        seen.add(waited.seen());
        last = Math.max(last, waited.lastSeen());
      }
      if (seen.count() != jobs) {
        throw new IllegalStateException("saw " + seen.count() + " of " + jobs + " jobs succeed");
      }
      return new Result(jobs, last - start, inSystem, seen);
    } finally {
      threads.shutdownNow();
    }
  }

  /**
   * Runs {@code jobs} jobs one after the other, each submitted once the one before is seen finished and a random
   * pause of less than {@code pause} has passed (the same pauses in every run).
   */
  static Result oneAtATime(JobApi api, int jobs, Duration poll, Duration pause, Duration deadline) throws Exception {
    Random pauses = new Random(jobs);
    long start = System.nanoTime();
    long until = start + deadline.toNanos();
    Latencies inSystem = new Latencies();
    Latencies seen = new Latencies();
    long last = start;
    for (int n = 0; n < jobs; n++) {
      if (n > 0 && !pause.isZero()) {
        TimeUnit.NANOSECONDS.sleep((long) (pauses.nextDouble() * pause.toNanos()));
      }
      long sent = System.nanoTime();
      Submitted job = new Submitted(api.submit(), sent);
      last = await(api, job, poll, until, inSystem, seen);
    }
    return new Result(jobs, last - start, inSystem, seen);
  }

  /** What a client thread returned, or what it threw, as it threw it. */
  private static <T> T outcome(Future<T> future) throws Exception {
    try {
      return future.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  private record Submitted(String id, long sentNanos) {
  }

  private record Waited(Latencies inSystem, Latencies seen, long lastSeen) {
  }

  private static Waited waitForAll(JobApi api, BlockingQueue<Optional<Submitted>> handOver, Duration poll,
      long until) throws Exception {
    Latencies inSystem = new Latencies();
    Latencies seen = new Latencies();
    long last = 0;
    for (Optional<Submitted> next = handOver.take(); next.isPresent(); next = handOver.take()) {
      last = await(api, next.get(), poll, until, inSystem, seen);
    }
    return new Waited(inSystem, seen, last);
  }

  /** Polls the job until it has finished, records its latencies and returns when it was seen finished. */
  private static long await(JobApi api, Submitted job, Duration poll, long until, Latencies inSystem,
      Latencies seen) throws Exception {
    while (true) {
      JobApi.Status status = api.status(job.id());
      long now = System.nanoTime();
      if (status.finished()) {
        if (status.failure().isPresent() || status.finishedAt().isEmpty()) {
          throw new IllegalStateException("job " + job.id() + " did not succeed: "
              + status.failure().orElse("no end time"));
        }
        inSystem.recordNanos(Duration.between(status.submittedAt(), status.finishedAt().get()).toNanos());
        seen.recordNanos(now - job.sentNanos());
        return now;
      }
      if (now - until > 0) {
        throw new IllegalStateException("job " + job.id() + " had not finished by the deadline, submitted at "
            + status.submittedAt() + ", now " + Instant.now());
      }
      TimeUnit.NANOSECONDS.sleep(poll.toNanos());
    }
  }
}
