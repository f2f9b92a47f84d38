package baton.bench;

import baton.app.logging.LogSetup;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.jobrunr.jobs.Job;
import org.jobrunr.jobs.filters.JobFilter;
import org.jobrunr.jobs.filters.JobServerFilter;
import org.jobrunr.jobs.mappers.JobMapper;
import org.jobrunr.jobs.states.FailedState;
import org.jobrunr.jobs.states.JobState;
import org.jobrunr.jobs.states.StateName;
import org.jobrunr.scheduling.JobScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.server.JobActivator;
import org.jobrunr.storage.InMemoryStorageProvider;
import org.jobrunr.utils.mapper.JsonMapper;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JobRunr (open source, in-memory storage) in the bench's JVM, as its users write it: one JobRunr job per item,
 * enqueued as a stream, on a background job server with one worker per core for the cpu workloads and one per item
 * in flight (the workload's parallelism) for those that wait, polling at its shortest interval (200 ms for the
 * in-memory storage), with a server timeout of 50 polls, forgetting succeeded jobs after 10 s. Every run gets a
 * fresh storage and server, started before the clock; the clock stops when the last job's work has finished (as
 * for the thread contenders; the note says how many SUCCEEDED states JobRunr then failed to store). For many-jobs,
 * one JobRunr job per Baton job, ten hashes in it.
 */
final class JobRunrContender implements Contender {

  /** The shortest poll interval JobRunr allows for its in-memory storage. */
  static final Duration POLL = Duration.ofMillis(200);
  private static final Duration DEADLINE = Duration.ofMinutes(5);
  private static final long PROBE_ITEMS = 200;
  private static final Duration STORE_GRACE = Duration.ofSeconds(2);
  /**
   * JobRunr fails a job as orphaned when its server has not touched it for this many poll intervals (default 4:
   * 0.8 s here). On two busy cores its heartbeat runs late and healthy jobs were failed; its documentation says to
   * raise this for CPU starvation.
   */
  private static final int SERVER_TIMEOUT_POLLS = 50;
  /**
   * Succeeded jobs are deleted, and deleted ones dropped, this long after: the in-memory storage scans every job it
   * holds to find the next ones to run, and with its defaults (36 h, 72 h) the many-jobs bursts slowed it from
   * 214 to 79 jobs/s as jobs piled up, which a database-backed JobRunr would not show.
   */
  private static final Duration FORGET_AFTER = Duration.ofSeconds(10);

  private final Path logDir;
  private final int cores;
  private final HeapSampler heap;

  JobRunrContender(Path logDir, int cores, HeapSampler heap) {
    this.logDir = logDir;
    this.cores = cores;
    this.heap = heap;
  }

  @Override
  public String name() {
    return "jobrunr";
  }

  /** One JobRunr job costs far more than an item in Baton: as many items as take about the budget, by a probe. */
  @Override
  public long items(Workload workload, double budgetSeconds) throws Exception {
    long all = workload.smallHeap() ? Math.max(1, workload.items() / 10) : workload.items();
    long probe = Math.min(all, PROBE_ITEMS);
    Run run = run(workload.withItems(probe));
    long fit = (long) (run.itemsPerSecond() * budgetSeconds);
    return Math.max(probe, Math.min(all, fit));
  }

  @Override
  public String fewerItemsBecause() {
    return "one JobRunr job per item, as many as take about the time budget";
  }

  int workers(Workload workload) {
    return workload.ioParallelism() > 0 ? workload.ioParallelism() : cores;
  }

  @Override
  public Run run(Workload workload) throws Exception {
    String run = UUID.randomUUID().toString();
    Map<String, byte[]> results = JobRunrWork.register(run, workload);
    long items = workload.items();
    Watch watch = new Watch("item", items);
    try (Instance jobRunr = Instance.start(logDir, workers(workload), watch)) {
      heap.reset();
      long start = System.nanoTime();
      jobRunr.scheduler().enqueue(LongStream.rangeClosed(1, items).mapToObj(Long::toString),
          key -> JobRunrWork.item(run, key));
      long until = start + DEADLINE.toNanos();
      while (!watch.done.await(50, TimeUnit.MILLISECONDS)) {
        if (watch.failure.get() != null) {
          throw new IllegalStateException("a JobRunr job failed: " + watch.failure.get());
        }
        if (System.nanoTime() - until > 0) {
          throw new IllegalStateException("JobRunr finished " + (items - watch.done.getCount()) + " of " + items
              + " jobs in " + DEADLINE);
        }
      }
      long nanos = System.nanoTime() - start;
      String last = Long.toString(items);
      if (results.size() != items || !Arrays.equals(results.get(last), Steps.run(workload, last))) {
        throw new IllegalStateException("JobRunr: " + results.size() + " results of " + items
            + (results.containsKey(last) ? "" : ", none for " + last));
      }
      long lost = items - watch.storedSucceeded(jobRunr.storage(), items);
      return new Run(items, nanos, heap.peak(), workers(workload) + " workers" + (lost == 0 ? ""
          : "; JobRunr lost " + lost + " jobs' SUCCEEDED to its own heartbeat (ConcurrentJobModificationException) "
          + "and would run them again"));
    } finally {
      JobRunrWork.forget(run);
    }
  }

  /** JobRunr with one worker per core, for the many-jobs workload: each job hashes ten numbers. */
  JobsOnJobRunr manyJobs() throws Exception {
    Watch watch = new Watch("tinyJob", 0);
    return new JobsOnJobRunr(Instance.start(logDir, cores, watch), watch);
  }

  /**
   * The many-jobs workload's {@link JobApi} on JobRunr: enqueue, then read the job from the storage. A job is done
   * when JobRunr has stored it SUCCEEDED, or when its work has finished while its stored state says otherwise:
   * under load, a worker's SUCCEEDED can lose to the server's own heartbeat on the same job (JobRunr logs a
   * ConcurrentJobModificationException, and would run the job again).
   */
  static final class JobsOnJobRunr implements JobApi {
    private final Instance jobRunr;
    private final Watch watch;

    private JobsOnJobRunr(Instance jobRunr, Watch watch) {
      this.jobRunr = jobRunr;
      this.watch = watch;
    }

    @Override
    public String submit() {
      return enqueueTinyJob(jobRunr.scheduler(), ManyJobs.ITEMS).toString();
    }

    @Override
    public Status status(String id) {
      UUID uuid = UUID.fromString(id);
      Job job = jobRunr.storage().getJobById(uuid);
      Instant submittedAt = job.getCreatedAt();
      if (job.getState() == StateName.SUCCEEDED) {
        return Status.succeeded(submittedAt, job.getJobState().getCreatedAt());
      }
      Instant worked = watch.finished.get(uuid);
      if (worked != null) {
        return Status.succeeded(submittedAt, worked);
      }
      if (watch.failure.get() != null) {
        return Status.failed(submittedAt, watch.failure.get());
      }
      return Status.running(submittedAt);
    }

    @Override
    public void close() {
      jobRunr.close();
    }
  }

  /**
   * What JobRunr's workers did with the jobs calling one method, from the server's filters: when each job's work
   * finished, how many finished, and the first one that threw.
   */
  private static final class Watch implements JobServerFilter {
    final String method;
    final CountDownLatch done;
    final Map<UUID, Instant> finished = new ConcurrentHashMap<>();
    final AtomicReference<String> failure = new AtomicReference<>();

    Watch(String method, long jobs) {
      this.method = method;
      this.done = new CountDownLatch(Math.toIntExact(jobs));
    }

    @Override
    public void onProcessingSucceeded(Job job) {
      if (job.getJobDetails().getMethodName().equals(method) && finished.putIfAbsent(job.getId(), Instant.now())
          == null) {
        done.countDown();
      }
    }

    @Override
    public void onProcessingFailed(Job job, Exception e) {
      // A job whose work finished but whose SUCCEEDED was lost is later failed as an orphan: not the work's failure.
      if (job.getJobDetails().getMethodName().equals(method) && !finished.containsKey(job.getId())) {
        failure.compareAndSet(null, "job " + job.getId() + ": " + e);
      }
    }

    /**
     * How many of the jobs whose work finished JobRunr has stored as SUCCEEDED, allowing it a moment for the last
     * ones.
     */
    long storedSucceeded(InMemoryStorageProvider storage, long jobs) throws InterruptedException {
      long until = System.nanoTime() + STORE_GRACE.toNanos();
      long stored = 0;
      for (; System.nanoTime() - until < 0; TimeUnit.MILLISECONDS.sleep(20)) {
        stored = finished.keySet().stream()
            .filter(id -> storage.getJobById(id).getState() == StateName.SUCCEEDED).count();
        if (stored >= jobs) {
          break;
        }
      }
      return stored;
    }
  }

  /**
   * Enqueues one tiny job. JobRunr reads the class around a job's lambda with ASM at a level that knows no records,
   * so the lambdas stay out of the records here.
   */
  static UUID enqueueTinyJob(JobScheduler scheduler, long items) {
    return scheduler.enqueue(() -> JobRunrWork.tinyJob(items)).asUUID();
  }

  private static String describe(Job job) {
    JobState state = job.getJobState();
    return state instanceof FailedState failed ? failed.getExceptionType() + ": " + failed.getExceptionMessage()
        : state.getName().toString();
  }

  /** A fresh in-memory storage and background job server, stopped when closed. */
  record Instance(InMemoryStorageProvider storage, BackgroundJobServer server, JobScheduler scheduler)
      implements AutoCloseable {

    static Instance start(Path logDir, int workers, Watch watch) throws Exception {
      if (System.getProperty(LogSetup.LOG_DIR_PROPERTY) == null) {
        LogSetup.configure(logDir);
      }
      logToFileOnly();
      JsonMapper json = new JacksonJsonMapper();
      InMemoryStorageProvider storage = new InMemoryStorageProvider();
      storage.setJobMapper(new JobMapper(json));
      BackgroundJobServerConfiguration configuration = BackgroundJobServerConfiguration
          .usingStandardBackgroundJobServerConfiguration().andPollInterval(POLL).andWorkerCount(workers)
          .andServerTimeoutPollIntervalMultiplicand(SERVER_TIMEOUT_POLLS)
          .andDeleteSucceededJobsAfter(FORGET_AFTER).andPermanentlyDeleteDeletedJobsAfter(FORGET_AFTER);
      // The jobs are static methods: there is nothing for an activator to make.
      JobActivator none = new JobActivator() {
        @Override
        public <T> T activateJob(Class<T> type) {
          return null;
        }
      };
      BackgroundJobServer server = new BackgroundJobServer(storage, json, none, configuration);
      server.setJobFilters(List.of(watch));
      server.start();
      Instance instance = new Instance(storage, server, new JobScheduler(storage));
      try {
        instance.awaitReady(watch);
      } catch (Exception | Error e) {
        instance.close();
        throw e;
      }
      return instance;
    }

    /**
     * JobRunr logs each SUCCEEDED it loses as an error, with a stack trace; the run's note counts them, so they go
     * to the bench's log file and not to the terminal.
     */
    private static void logToFileOnly() {
      if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
        Appender<ILoggingEvent> file = context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("PROCESS");
        ch.qos.logback.classic.Logger jobRunr = context.getLogger("org.jobrunr");
        if (file != null && jobRunr.isAdditive()) {
          jobRunr.setAdditive(false);
          jobRunr.addAppender(file);
        }
      }
    }

    /** Runs one job through, so that the server polls and the clock of a run starts on a working JobRunr. */
    private void awaitReady(Watch watch) throws InterruptedException {
      UUID id = enqueueTinyJob(scheduler, 1);
      long until = System.nanoTime() + DEADLINE.toNanos();
      while (storage.getJobById(id).getState() != StateName.SUCCEEDED && !watch.finished.containsKey(id)) {
        if (System.nanoTime() - until > 0) {
          throw new IllegalStateException("JobRunr did not run a first job in " + DEADLINE + ": "
              + describe(storage.getJobById(id)));
        }
        TimeUnit.MILLISECONDS.sleep(5);
      }
    }

    @Override
    public void close() {
      server.stop();
    }
  }
}
