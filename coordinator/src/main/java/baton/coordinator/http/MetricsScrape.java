package baton.coordinator.http;

import baton.coordinator.Coordinator;
import baton.coordinator.WorkDispatcher;
import baton.coordinator.api.JobState;
import baton.coordinator.metrics.Metrics;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Answers {@code GET /metrics}: asks the coordinator for its jobs by state and the dispatcher for its queue and
 * nodes, sets the gauges from their answers, and scrapes the registry, all in one message, so that two scrapes at
 * once never see each other's gauges half set. When an actor does not answer in time (the coordinator restarts
 * after a journal failure), the scrape goes out with the gauges as they were.
 */
final class MetricsScrape {

  interface Command {
  }

  /** Asks for the meters in the Prometheus text format; empty when metrics are off. */
  record Scrape(ActorRef<Optional<String>> replyTo) implements Command {
  }

  private record Answered(Scrape scrape, Map<JobState, Integer> jobs, WorkDispatcher.Load load, Throwable error)
      implements Command {
  }

  private MetricsScrape() {
  }

  static Behavior<Command> create(ActorRef<Coordinator.Command> coordinator,
      ActorRef<WorkDispatcher.Command> dispatcher, Metrics metrics, Duration askTimeout) {
    return Behaviors.setup(context -> Behaviors.receive(Command.class)
        .onMessage(Scrape.class, scrape -> {
          ask(context, coordinator, dispatcher, askTimeout, scrape);
          return Behaviors.same();
        })
        .onMessage(Answered.class, answered -> {
          if (answered.error() == null) {
            metrics.showJobs(answered.jobs());
            WorkDispatcher.Load load = answered.load();
            metrics.showDispatcher(load.queuedBatches(), load.queuedItems(), load.nodes());
          } else {
            context.getLog().debug("metrics without fresh gauges: {}", answered.error().toString());
          }
          answered.scrape().replyTo().tell(metrics.scrape());
          return Behaviors.same();
        })
        .build());
  }

  private static void ask(ActorContext<Command> context, ActorRef<Coordinator.Command> coordinator,
      ActorRef<WorkDispatcher.Command> dispatcher, Duration askTimeout, Scrape scrape) {
    CompletionStage<Map<JobState, Integer>> jobs = AskPattern.ask(coordinator, Coordinator.GetJobCounts::new,
        askTimeout, context.getSystem().scheduler());
    CompletionStage<WorkDispatcher.Load> load = AskPattern.ask(dispatcher, WorkDispatcher.GetLoad::new,
        askTimeout, context.getSystem().scheduler());
    context.pipeToSelf(jobs.thenCombine(load, (byState, nodes) -> new Answered(scrape, byState, nodes, null)),
        (answered, error) -> answered != null ? answered : new Answered(scrape, null, null, error));
  }
}
