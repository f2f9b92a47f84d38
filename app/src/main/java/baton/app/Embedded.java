package baton.app;

import baton.coordinator.Coordinator;
import baton.coordinator.CoordinatorSettings;
import baton.coordinator.Journal;
import baton.coordinator.WorkDispatcher;
import baton.coordinator.api.JobStatus;
import baton.coordinator.spec.JobSpecParser;
import baton.node.NodeAgent;
import baton.node.NodeSettings;
import baton.node.WorkerPool;
import baton.protocol.op.OpRegistry;
import baton.protocol.wire.WorkBatch;
import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A coordinator and a local worker pool in one actor system: what {@code baton run} uses, and what tests start.
 * The methods are the asks a client makes; each answers through a {@link CompletionStage}.
 */
public final class Embedded implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Embedded.class);

  private final ActorSystem<Coordinator.Command> system;
  private final Duration askTimeout;
  private final Optional<Duration> stopTimeout;

  private Embedded(ActorSystem<Coordinator.Command> system, Duration askTimeout, Optional<Duration> stopTimeout) {
    this.system = system;
    this.askTimeout = askTimeout;
    this.stopTimeout = stopTimeout;
  }

  /**
   * Starts the actor system.
   *
   * @param config the whole config (Baton's and Pekko's)
   * @param registry the ops jobs may use
   */
  public static Embedded start(Config config, OpRegistry registry, NodeSettings node) {
    Config withJournal = systemConfig(config);
    CoordinatorSettings settings = CoordinatorSettings.from(withJournal);
    JobSpecParser parser = new JobSpecParser(registry, settings.job());
    ActorSystem<Coordinator.Command> system = ActorSystem.create(Behaviors.setup(context -> {
      ActorRef<WorkDispatcher.Command> dispatcher = context.spawn(WorkDispatcher.create(), "dispatcher");
      ActorRef<WorkBatch> workers = context.spawn(WorkerPool.create(registry, node), "workers");
      context.spawn(NodeAgent.create(workers, node), "node");
      return Coordinator.create(settings, parser, dispatcher);
    }), "baton", withJournal);
    return new Embedded(system, settings.askTimeout(), Optional.empty());
  }

  /**
   * The config the actor system starts with: the journal in memory ({@code baton.run.journal-plugin} and
   * {@code snapshot-store-plugin}) unless a data dir, a database or other plugins are set, which keep theirs.
   */
  static Config systemConfig(Config config) {
    boolean inMemory = config.getString("baton.coordinator.data-dir").isEmpty()
        && config.getString("baton.journal.db.url").isEmpty()
        && config.getString("pekko.persistence.journal.plugin").isEmpty()
        && config.getString("pekko.persistence.snapshot-store.plugin").isEmpty();
    if (inMemory) {
      config = config
          .withValue("pekko.persistence.journal.plugin", config.getValue("baton.run.journal-plugin"))
          .withValue("pekko.persistence.snapshot-store.plugin", config.getValue("baton.run.snapshot-store-plugin"));
    }
    config = config.withValue("baton.metrics.enabled", config.getValue("baton.run.metrics"));
    // With the plugins set, this leaves them and adds what every journal needs (the stash capacity).
    return Journal.withDatabase(config);
  }

  /**
   * This one, with a {@link #close()} that waits at most the given time for the actor system to stop: workers
   * busy with a cancelled job's batches finish them first, and a process about to exit need not wait for that.
   */
  public Embedded stoppingWithin(Duration patience) {
    return new Embedded(system, askTimeout, Optional.of(patience));
  }

  public CompletionStage<Coordinator.SubmitReply> submit(String spec, String sourceName, Path baseDir) {
    return AskPattern.ask(system, replyTo -> new Coordinator.Submit(spec, sourceName, baseDir, replyTo),
        askTimeout, system.scheduler());
  }

  public CompletionStage<Optional<JobStatus>> status(String id) {
    return AskPattern.ask(system, replyTo -> new Coordinator.GetJob(id, replyTo), askTimeout, system.scheduler());
  }

  public CompletionStage<Optional<JobStatus>> cancel(String id) {
    return AskPattern.ask(system, replyTo -> new Coordinator.CancelJob(id, replyTo), askTimeout,
        system.scheduler());
  }

  @Override
  public void close() {
    system.terminate();
    if (stopTimeout.isEmpty()) {
      system.getWhenTerminated().toCompletableFuture().join();
      return;
    }
    try {
      system.getWhenTerminated().toCompletableFuture().get(stopTimeout.get().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      LOG.warn("not waiting for the workers to finish the batches they hold: the actor system did not stop in {}",
          stopTimeout.get());
    } catch (ExecutionException e) {
      LOG.warn("the actor system stopped with a failure", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
