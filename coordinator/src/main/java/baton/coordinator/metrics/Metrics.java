package baton.coordinator.metrics;

import baton.coordinator.api.JobState;
import baton.protocol.op.OpKind;
import com.typesafe.config.Config;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The meters of one coordinator process, one set per actor system ({@code Metrics.get(system)}), kept in
 * Micrometer's Prometheus registry for {@code GET /metrics}. Meters are thread-safe library objects: the actors and
 * the job streams count on them, once per batch or chunk, never per item. The gauges of actor state (jobs by state,
 * the dispatcher's queue and nodes) are set only by the scrape, from values the actors answered it
 * ({@link #showJobs}, {@link #showDispatcher}); nothing reads an actor's fields. With
 * {@code baton.metrics.enabled = false} (what {@code baton run} sets) every meter is a no-op and nothing is scraped.
 * README, Metrics, lists every meter.
 */
public final class Metrics implements Extension {

  /** A node as the dispatcher sees it: its workers, how many of them run a batch now, its credits left. */
  public record NodeLoad(String address, int workers, int busy, int credits) {
  }

  /** The meters of the stages that run one op: items done and failed, and the time of a batch (cpu) or call (io). */
  public record StageMeters(Counter done, Counter failed, Timer latency) {
  }

  private static final ExtensionId<Metrics> ID = new ExtensionId<>() {
    @Override
    public Metrics createExtension(ActorSystem<?> system) {
      Metrics metrics = new Metrics(system.settings().config());
      system.getWhenTerminated().thenRun(metrics::close);
      return metrics;
    }
  };

  private final MeterRegistry registry;
  private final Optional<PrometheusMeterRegistry> prometheus;
  private final Optional<JvmGcMetrics> gc;
  private final Duration histogramMin;
  private final Duration histogramMax;
  private final Counter submitted;
  private final MultiGauge jobs;
  private final MultiGauge queuedBatches;
  private final MultiGauge queuedItems;
  private final MultiGauge credits;
  private final MultiGauge workers;
  private final MultiGauge busyWorkers;

  private Metrics(Config config) {
    Config metrics = config.getConfig("baton.metrics");
    this.histogramMin = metrics.getDuration("histogram-min");
    this.histogramMax = metrics.getDuration("histogram-max");
    if (metrics.getBoolean("enabled")) {
      PrometheusMeterRegistry scraped = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      new JvmMemoryMetrics().bindTo(scraped);
      JvmGcMetrics gcMetrics = new JvmGcMetrics();
      gcMetrics.bindTo(scraped);
      new JvmThreadMetrics().bindTo(scraped);
      new ProcessorMetrics().bindTo(scraped);
      new ClassLoaderMetrics().bindTo(scraped);
      new UptimeMetrics().bindTo(scraped);
      this.registry = scraped;
      this.prometheus = Optional.of(scraped);
      this.gc = Optional.of(gcMetrics);
    } else {
      // A composite with no registry in it hands out meters that do nothing.
      this.registry = new CompositeMeterRegistry();
      this.prometheus = Optional.empty();
      this.gc = Optional.empty();
    }
    this.submitted = Counter.builder("baton.jobs.submitted").description("Jobs accepted").register(registry);
    this.jobs = MultiGauge.builder("baton.jobs")
        .description("Jobs the coordinator knows, by state (the final states: those it keeps for status)")
        .register(registry);
    this.queuedBatches = MultiGauge.builder("baton.dispatcher.queued.batches")
        .description("Cpu batches waiting in the dispatcher for a node's credit").register(registry);
    this.queuedItems = MultiGauge.builder("baton.dispatcher.queued.items")
        .description("Items in the batches waiting in the dispatcher").register(registry);
    this.credits = MultiGauge.builder("baton.dispatcher.credits")
        .description("Batches a node may still be sent (its credits left)").register(registry);
    this.workers = MultiGauge.builder("baton.node.workers").description("Workers of a node that pulls work")
        .register(registry);
    this.busyWorkers = MultiGauge.builder("baton.node.busy.workers")
        .description("Workers of a node running a batch now").register(registry);
  }

  /** The meters of this actor system. */
  public static Metrics get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** The meters in the Prometheus text format; empty when metrics are off. */
  public Optional<String> scrape() {
    return prometheus.map(PrometheusMeterRegistry::scrape);
  }

  /** Counts jobs accepted (queued or started). */
  public void jobsSubmitted(int count) {
    submitted.increment(count);
  }

  /** Counts a job that ended, in its final state. */
  public void jobEnded(JobState state) {
    Counter.builder("baton.jobs.ended").description("Jobs that ended, by final state")
        .tag("state", state.name()).register(registry).increment();
  }

  /** The meters of the stages running {@code op}; a job's stream takes them once, when it starts. */
  public StageMeters stage(String op, OpKind kind) {
    Tags tags = Tags.of("op", op, "kind", kind.label());
    Counter done = Counter.builder("baton.items.done")
        .description("Items a stage finished: passed on, or dropped on purpose").tags(tags).register(registry);
    Counter failed = Counter.builder("baton.items.failed")
        .description("Items that failed in a stage, after their retries").tags(tags).register(registry);
    Timer latency = kind == OpKind.CPU
        ? histogram(Timer.builder("baton.stage.batch")
            .description("One try of a cpu batch: from its dispatch to its answer, waiting for a worker included"))
            .tags("op", op).register(registry)
        : histogram(Timer.builder("baton.stage.call").description("One try of an io op's call for one item"))
            .tags("op", op).register(registry);
    return new StageMeters(done, failed, latency);
  }

  /** The time of one write to the journal, by the coordinator or by a job ({@code writer}). */
  public Timer journalWrite(String writer) {
    return histogram(Timer.builder("baton.journal.write")
        .description("One write to the journal, from the persist to its confirmation"))
        .tag("writer", writer).register(registry);
  }

  private Timer.Builder histogram(Timer.Builder builder) {
    return builder.publishPercentileHistogram().minimumExpectedValue(histogramMin)
        .maximumExpectedValue(histogramMax);
  }

  /** Sets the jobs-by-state gauge; states not given show 0. */
  public void showJobs(Map<JobState, Integer> byState) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (JobState state : JobState.values()) {
      rows.add(MultiGauge.Row.of(Tags.of("state", state.name()), byState.getOrDefault(state, 0)));
    }
    jobs.register(rows, true);
  }

  /** Sets the dispatcher's gauges: its queue, and each node's workers and credits (nodes gone disappear). */
  public void showDispatcher(int batches, long items, List<NodeLoad> nodes) {
    queuedBatches.register(List.of(MultiGauge.Row.of(Tags.empty(), batches)), true);
    queuedItems.register(List.of(MultiGauge.Row.of(Tags.empty(), items)), true);
    List<MultiGauge.Row<?>> creditRows = new ArrayList<>();
    List<MultiGauge.Row<?>> workerRows = new ArrayList<>();
    List<MultiGauge.Row<?>> busyRows = new ArrayList<>();
    for (NodeLoad node : nodes) {
      Tags tags = Tags.of("node", node.address());
      creditRows.add(MultiGauge.Row.of(tags, node.credits()));
      workerRows.add(MultiGauge.Row.of(tags, node.workers()));
      busyRows.add(MultiGauge.Row.of(tags, node.busy()));
    }
    credits.register(creditRows, true);
    workers.register(workerRows, true);
    busyWorkers.register(busyRows, true);
  }

  private void close() {
    gc.ifPresent(JvmGcMetrics::close);
    registry.close();
  }
}
