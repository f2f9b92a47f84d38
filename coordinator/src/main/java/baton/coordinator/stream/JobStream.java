package baton.coordinator.stream;

import baton.coordinator.CoordinatorSettings;
import baton.coordinator.StatusSettings;
import baton.coordinator.WorkDispatcher;
import baton.coordinator.metrics.Metrics;
import baton.protocol.op.IoContext;
import baton.protocol.op.OpKind;
import baton.protocol.spec.JobSpec;
import baton.protocol.spec.OpRef;
import baton.protocol.wire.Item;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The Pekko Streams graph of one job, assembled from its parts: the {@link InputSource}, then each stage (an
 * {@link IoStage} or a {@link CpuStage}, both retrying through one {@link StageRetry}) followed by its counter,
 * then the {@link OutputWriter}. Counts go to the job actor through a {@link Listener}; the stream keeps no state
 * that anything else reads.
 */
public final class JobStream {

  /** Where the stream reports what happened; the job actor turns each call into a message to itself. */
  public interface Listener {
    void input(long emitted, boolean complete);

    void stage(int stage, long done);

    void failed(Outcome.Failed failure);

    void sink(long succeeded, long filtered);

    void worked(String node, int items);

    /** The output file and the counts agree with this progress; a resumed job starts from it. */
    void checkpoint(Progress progress);

    /**
     * The output writer has closed its files, which hold what {@code written} says (also when the stream was
     * stopped: then items reported as failed on their way may not have reached the errors file).
     */
    default void closed(Progress written) {
    }

    /** Stage {@code stage}'s calls started or stopped waiting for its {@code rate}. */
    default void throttled(int stage, boolean waiting) {
    }

    /**
     * Stage {@code stage} has {@code inFlight} calls running now (items of an io stage, batches of a cpu stage),
     * and had all its {@code parallelism} calls busy for {@code saturatedShare} of the last sample interval.
     */
    default void load(int stage, int inFlight, double saturatedShare) {
    }

    /** A worker took {@code nanos} for a batch of {@code items} items of cpu stage {@code stage}. */
    default void timed(int stage, int items, long nanos) {
    }
  }

  /**
   * What a job's stream runs on, and the nanoseconds a worker took per item of its cpu ops in jobs before
   * ({@link ItemTimes#of}; an op never measured is absent).
   */
  public record Runtime(ActorSystem<?> system, IoContext io, ActorRef<WorkDispatcher.Command> dispatcher,
      CoordinatorSettings settings, Map<OpRef, Long> itemNanos) {

    /** A runtime that knows no op's time per item. */
    public Runtime(ActorSystem<?> system, IoContext io, ActorRef<WorkDispatcher.Command> dispatcher,
        CoordinatorSettings settings) {
      this(system, io, dispatcher, settings, Map.of());
    }

    /** The same runtime, knowing {@code itemNanos} of its ops. */
    public Runtime withItemNanos(Map<OpRef, Long> itemNanos) {
      return new Runtime(system, io, dispatcher, settings, itemNanos);
    }
  }

  private static final int MIN_BATCHES = 64;

  private final String jobId;
  private final JobSpec spec;
  private final Runtime runtime;
  private final Listener listener;
  private final long reportNanos;
  private final Progress resumeFrom;
  // Completes when the stream has ended, however it ended: from then on no op call starts.
  private final CompletableFuture<Done> ended = new CompletableFuture<>();
  private final ActorRef<WorkDispatcher.Waiting> waitingTo;
  // How much time's worth of calls a rate-limited stage starts at once: two of the scheduler's ticks, since a timer
  // fires up to a tick late.
  private final Duration burst;
  private final Duration sampleInterval;
  private final Metrics metrics;

  /**
   * @param resumeFrom what an earlier run of this job already did ({@link Progress#none} for a new job): those
   *     items are skipped, and the output is cut back to what they wrote
   * @param waitingTo hears from the dispatcher when the job's cpu work waits for workers, and when they come
   */
  public JobStream(String jobId, JobSpec spec, Runtime runtime, Listener listener, Progress resumeFrom,
      ActorRef<WorkDispatcher.Waiting> waitingTo) {
    this.jobId = jobId;
    this.spec = spec;
    this.runtime = runtime;
    this.listener = listener;
    this.reportNanos = runtime.settings().reportInterval().toNanos();
    this.resumeFrom = resumeFrom;
    this.waitingTo = waitingTo;
    // The classic settings, not the typed ones: those are made anew, reading the config, on every call.
    this.burst = runtime.system().classicSystem().settings().config().getDuration("pekko.scheduler.tick-duration")
        .multipliedBy(2);
    this.sampleInterval = StatusSettings.of(runtime.system()).sampleInterval();
    this.metrics = Metrics.get(runtime.system());
  }

  /**
   * Starts the stream: the kill switch cancels it, the stage completes when the last item is written. Items travel
   * in chunks (lists of up to {@code chunk} outcomes), so that a tiny item costs one loop step in each stream stage
   * rather than a trip through it; only io stages take the chunks apart, to keep {@code parallelism} items waiting.
   */
  public Pair<UniqueKillSwitch, CompletionStage<Done>> run(Materializer materializer) {
    Source<List<Outcome>, NotUsed> flow = InputSource.numberedChunks(spec.input(), chunkSize(),
            runtime.settings().maxLineBytes())
        .via(countInput())
        .map(this::notDoneYet)
        .filter(chunk -> !chunk.isEmpty());
    StageRetry retry = new StageRetry(spec.retries(), runtime.settings()::backoff, runtime.system(), ended,
        gates(materializer));
    for (JobSpec.Stage stage : spec.stages()) {
      Metrics.StageMeters meters = metrics.stage(stage.name(), stage.kind());
      flow = flow.via(stage(withRateBatch(stage), retry, meters)).via(countStage(stage.index(), meters));
    }
    // The switch sits before the sink, not after the input: once the input is read, a switch there has completed
    // and an abort would wait for every item in flight. Here it fails the sink at once and cancels the stages.
    Pair<UniqueKillSwitch, CompletionStage<Done>> running =
        flow.viaMat(KillSwitches.single(), Keep.right())
            .toMat(OutputWriter.sink(spec.output(), spec.errors(),
                spec.stages().stream().map(JobSpec.Stage::name).toList(), resumeFrom, listener,
                runtime.settings().reportInterval(), runtime.settings().checkpointInterval()), Keep.both())
            .run(materializer);
    running.second().whenComplete((done, failure) -> ended.complete(Done.getInstance()));
    return running;
  }

  /**
   * How many items travel together: the first cpu stage's largest batch (its {@code batch}, or
   * {@code cpu-batch-max} when it sizes its batches itself), so a chunk is one message to a worker or is cut into a
   * few, but no more than a {@link #spread}th of an input of known size, so that a small job still makes enough
   * batches to spread when its work is worth spreading.
   */
  private int chunkSize() {
    int batch = spec.stages().stream().filter(stage -> stage.kind() == OpKind.CPU).map(this::withRateBatch)
        .mapToInt(stage -> BatchSize.largest(stage, limits())).findFirst()
        .orElse(runtime.settings().job().cpuBatch());
    if (spec.input().size().isEmpty()) {
      return batch;
    }
    long total = spec.input().size().getAsLong();
    long batches = spread(total);
    return (int) Math.max(1, Math.min(batch, (total + batches - 1) / batches));
  }

  /**
   * The fewest batches a job of {@code total} items is cut into: 64, so that a small job spreads over the workers,
   * unless the times per item of all its cpu ops are known and its whole work is less than 64
   * {@code cpu-batch-time}s: then one batch per {@code cpu-batch-time} of work (one for a tiny job, whose round trips
   * would cost more than spreading gains).
   */
  private long spread(long total) {
    double perItem = 0;
    boolean cpu = false;
    for (JobSpec.Stage stage : spec.stages()) {
      if (stage.kind() == OpKind.CPU) {
        Long nanos = runtime.itemNanos().get(stage.ref());
        if (nanos == null) {
          return MIN_BATCHES;
        }
        perItem += nanos;
        cpu = true;
      }
    }
    if (!cpu) {
      return MIN_BATCHES;
    }
    double batches = Math.ceil(perItem * total / Math.max(1, runtime.settings().job().cpuBatchTime().toNanos()));
    return (long) Math.max(1, Math.min(MIN_BATCHES, batches));
  }

  private BatchSize.Limits limits() {
    return new BatchSize.Limits(runtime.settings().job().cpuBatchMax(), runtime.settings().job().cpuBatchTime());
  }

  /** Starts a {@link RateGate} for each stage with a rate; they stop when the job's stream ends. */
  private Map<Integer, RateGate> gates(Materializer materializer) {
    Map<Integer, RateGate> gates = new HashMap<>();
    for (JobSpec.Stage stage : spec.stages()) {
      stage.rate().ifPresent(rate -> gates.put(stage.index(), RateGate.start(rate, stage.parallelism(),
          runtime.settings().reportInterval(), burst, waiting -> listener.throttled(stage.index(), waiting), ended,
          materializer)));
    }
    return Map.copyOf(gates);
  }

  /**
   * A cpu stage with a rate sends batches of at most the calls its gate lets through at once: a batch passes the
   * gate as one, and its items run together on a worker.
   */
  private JobSpec.Stage withRateBatch(JobSpec.Stage stage) {
    if (stage.kind() != OpKind.CPU || stage.rate().isEmpty()) {
      return stage;
    }
    int batch = Math.min(stage.batch(), RateGate.atOnce(stage.rate().get(), burst));
    return new JobSpec.Stage(stage.index(), stage.kind(), stage.parallelism(), batch, stage.op(), stage.ref(),
        stage.rate());
  }

  private Flow<List<Outcome>, List<Outcome>, NotUsed> stage(JobSpec.Stage stage, StageRetry retry,
      Metrics.StageMeters meters) {
    CoordinatorSettings settings = runtime.settings();
    StageGauge.Reporter load = (inFlight, share) -> listener.load(stage.index(), inFlight, share);
    if (stage.kind() == OpKind.IO) {
      return new IoStage(stage, runtime.io(), spec.itemTimeout(), retry, chunkSize(), meters.latency())
          .flow(calls -> StageGauge.around(calls, stage.parallelism(), sampleInterval, load));
    }
    CpuStage.Dispatching dispatching = new CpuStage.Dispatching(jobId, spec.priority(), runtime.dispatcher(),
        waitingTo, settings.batchAnswerTimeout(), runtime.system().scheduler());
    CpuStage.Worked worked = new CpuStage.Worked() {
      @Override
      public void worked(String node, int items) {
        listener.worked(node, items);
      }

      @Override
      public void took(int items, long nanos) {
        listener.timed(stage.index(), items, nanos);
      }
    };
    return new CpuStage(stage, dispatching, spec.itemTimeout(), settings.maxItemBytes(), limits(), retry,
        worked, meters.latency()).flow(calls -> StageGauge.around(calls, stage.parallelism(), sampleInterval,
        load));
  }

  private List<Outcome> notDoneYet(List<Pair<Item, Long>> chunk) {
    List<Outcome> outcomes = new ArrayList<>(chunk.size());
    for (Pair<Item, Long> numbered : chunk) {
      if (!resumeFrom.isDone(numbered.second())) {
        outcomes.add(new Outcome.Ok(numbered.second(), numbered.first()));
      }
    }
    return outcomes;
  }

  /** The number of items a lines input has, read as a job reads it. */
  public static CompletionStage<Long> countLines(Path file, Runtime runtime) {
    return InputSource.lines(file, runtime.settings().maxLineBytes())
        .runFold(0L, (count, item) -> count + 1, runtime.system());
  }

  private Flow<List<Pair<Item, Long>>, List<Pair<Item, Long>>, NotUsed> countInput() {
    return Flow.<List<Pair<Item, Long>>>create().statefulMap(Tally::new,
        (tally, chunk) -> {
          if (chunk == InputSource.END_OF_INPUT) {
            listener.input(tally.count, true);
          } else {
            tally.count += chunk.size();
            if (tally.due(reportNanos)) {
              listener.input(tally.count, false);
            }
          }
          return Pair.create(tally, chunk);
        },
        tally -> {
          // Also runs when a stop cancels the input: then the count is what was read, not the input's size.
          listener.input(tally.count, false);
          return Optional.empty();
        });
  }

  /** Counts a stage's items for the job (throttled reports) and for the metrics (once per chunk). */
  private Flow<List<Outcome>, List<Outcome>, NotUsed> countStage(int stage, Metrics.StageMeters meters) {
    return Flow.<List<Outcome>>create().statefulMap(Tally::new,
        (tally, chunk) -> {
          long before = tally.count;
          int failedHere = 0;
          for (Outcome outcome : chunk) {
            if (outcome instanceof Outcome.Failed failed) {
              if (failed.stage() == stage) {
                listener.failed(failed);
                failedHere++;
              }
            } else if (!(outcome instanceof Outcome.Dropped dropped) || dropped.stage() == stage) {
              tally.count++;
            }
          }
          if (tally.count > before) {
            meters.done().increment(tally.count - before);
          }
          if (failedHere > 0) {
            meters.failed().increment(failedHere);
          }
          if (tally.due(reportNanos)) {
            listener.stage(stage, tally.count);
          }
          return Pair.create(tally, chunk);
        },
        tally -> {
          listener.stage(stage, tally.count);
          return Optional.empty();
        });
  }

  /** A count owned by one stream operator; reports are throttled to one per report interval. */
  private static class Tally {
    long count;
    private long lastReport = System.nanoTime();

    boolean due(long intervalNanos) {
      long now = System.nanoTime();
      if (now - lastReport < intervalNanos) {
        return false;
      }
      lastReport = now;
      return true;
    }
  }
}
