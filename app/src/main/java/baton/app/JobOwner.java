package baton.app;

import baton.coordinator.CodeServer;
import baton.coordinator.CodeStore;
import baton.coordinator.Coordinator;
import baton.coordinator.CoordinatorSettings;
import baton.coordinator.WorkDispatcher;
import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.coordinator.metrics.Metrics;
import baton.coordinator.spec.JobSpecParser;
import baton.protocol.wire.CborSerializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.japi.function.Function;

/**
 * What owns the jobs of a Baton cluster: the {@link Coordinator} actor, the {@link WorkDispatcher} nodes pull from
 * and the {@link CodeServer}. It runs once per cluster, as a Cluster Singleton on the oldest member with the role
 * {@code coordinator} (in a process that is no cluster member, as a plain child). Every coordinator's HTTP API asks
 * it through {@link SingletonLink}, so its protocol is what crosses the cluster between coordinators: each request
 * names its own answer type, and both are {@link CborSerializable}.
 */
public final class JobOwner {

  /** A request to the owner of the jobs; all of them may come from another coordinator. */
  public interface Command extends CborSerializable {
  }

  /** {@link Coordinator.Submit}, with the spec's folder as text. */
  public record Submit(String spec, String sourceName, String baseDir, String code, ActorRef<SubmitAnswer> replyTo)
      implements Command {
  }

  /** {@link Coordinator.Rerun}. */
  public record Rerun(String id, boolean failedOnly, Optional<String> output, ActorRef<SubmitAnswer> replyTo)
      implements Command {
  }

  /**
   * The answer to {@link Submit} and {@link Rerun}: {@code outcome} names the {@link Coordinator.SubmitReply} it
   * stands for; {@code status} is set when the job was accepted, {@code error} otherwise.
   */
  public record SubmitAnswer(Outcome outcome, JobStatus status, String error) implements CborSerializable {

    static SubmitAnswer of(Coordinator.SubmitReply reply) {
      if (reply instanceof Coordinator.Accepted accepted) {
        return new SubmitAnswer(Outcome.ACCEPTED, accepted.status(), null);
      }
      if (reply instanceof Coordinator.Rejected rejected) {
        return new SubmitAnswer(Outcome.REJECTED, null, rejected.error());
      }
      if (reply instanceof Coordinator.Unavailable unavailable) {
        return new SubmitAnswer(Outcome.UNAVAILABLE, null, unavailable.error());
      }
      if (reply instanceof Coordinator.UnknownJob unknown) {
        return new SubmitAnswer(Outcome.UNKNOWN_JOB, null, unknown.error());
      }
      return new SubmitAnswer(Outcome.CANNOT_RERUN, null, ((Coordinator.CannotRerun) reply).error());
    }

    Coordinator.SubmitReply reply() {
      return switch (outcome) {
        case ACCEPTED -> new Coordinator.Accepted(status);
        case REJECTED -> new Coordinator.Rejected(error);
        case UNAVAILABLE -> new Coordinator.Unavailable(error);
        case UNKNOWN_JOB -> new Coordinator.UnknownJob(error);
        case CANNOT_RERUN -> new Coordinator.CannotRerun(error);
      };
    }
  }

  /** Which {@link Coordinator.SubmitReply} a {@link SubmitAnswer} stands for. */
  public enum Outcome { ACCEPTED, REJECTED, UNAVAILABLE, UNKNOWN_JOB, CANNOT_RERUN }

  /** {@link Coordinator.GetJob}. */
  public record GetJob(String id, ActorRef<JobAnswer> replyTo) implements Command {
  }

  /** {@link Coordinator.CancelJob}. */
  public record CancelJob(String id, ActorRef<JobAnswer> replyTo) implements Command {
  }

  /** One job's status; empty when no job has the id asked for. */
  public record JobAnswer(Optional<JobStatus> status) implements CborSerializable {
  }

  /** {@link Coordinator.ListJobs}. */
  public record ListJobs(ActorRef<JobList> replyTo) implements Command {
  }

  /** Every job the coordinator knows, oldest first. */
  public record JobList(List<JobStatus> jobs) implements CborSerializable {
  }

  /** {@link Coordinator.GetHealth}. */
  public record GetHealth(ActorRef<HealthAnswer> replyTo) implements Command {
  }

  /** {@link Coordinator.Health}. */
  public record HealthAnswer(boolean accepting, int runningJobs, int queuedJobs) implements CborSerializable {
  }

  /** {@link Coordinator.GetJobCounts}. */
  public record GetJobCounts(ActorRef<JobCounts> replyTo) implements Command {
  }

  /** Jobs in each state. */
  public record JobCounts(Map<JobState, Integer> byState) implements CborSerializable {
  }

  /** {@link Coordinator.GetFailures}. */
  public record GetFailures(String id, ActorRef<FailuresAnswer> replyTo) implements Command {
  }

  /**
   * Where a job's failed items are: {@code known} false when no job has the id; {@code file} empty when it has none
   * to show.
   */
  public record FailuresAnswer(boolean known, Optional<String> file) implements CborSerializable {
  }

  /** {@link WorkDispatcher.GetNodes}. */
  public record GetNodes(ActorRef<NodesAnswer> replyTo) implements Command {
  }

  /** What the dispatcher knows of the nodes that pull work. */
  public record NodesAnswer(List<WorkDispatcher.NodeInfo> nodes) implements CborSerializable {
  }

  /** {@link WorkDispatcher.GetLoad}. */
  public record GetLoad(ActorRef<LoadAnswer> replyTo) implements Command {
  }

  /** {@link WorkDispatcher.Load}. */
  public record LoadAnswer(int queuedBatches, long queuedItems, List<Metrics.NodeLoad> nodes)
      implements CborSerializable {
  }

  /**
   * Ends this owner (the singleton's hand-over to the next oldest coordinator): its jobs stop where they are, and
   * the next owner resumes them from their checkpoints.
   */
  public enum Stop implements Command { INSTANCE }

  private JobOwner() {
  }

  /**
   * @param parser checks specs; it knows the bundles of {@code code}
   * @param code where bundles of jobs that bring their own ops are kept
   */
  public static Behavior<Command> create(CoordinatorSettings settings, JobSpecParser parser, CodeStore code) {
    return Behaviors.setup(context -> {
      ActorRef<WorkDispatcher.Command> dispatcher = context.spawn(WorkDispatcher.create(), "dispatcher");
      context.spawn(CodeServer.create(code), "code-server");
      ActorRef<Coordinator.Command> coordinator =
          context.spawn(Coordinator.create(settings, parser, dispatcher), "coordinator");
      ActorSystem<?> system = context.getSystem();
      Duration timeout = settings.askTimeout();
      // Only the owner of the jobs stops taking them when its process shuts down; a standby coordinator that stops
      // leaves this owner alone. The task goes with this owner (hand-over, or a stop after the process's own).
      Cancellable stopAccepting = CoordinatedShutdown.get(system).addCancellableTask(
          CoordinatedShutdown.PhaseBeforeServiceUnbind(), "baton-stop-accepting-jobs",
          () -> AskPattern.<Coordinator.Command, Done>ask(coordinator, Coordinator.StopAccepting::new,
              settings.stopAcceptingTimeout(), system.scheduler()));
      context.getLog().info("this coordinator owns the jobs now: it runs them and hands out their work");
      return Behaviors.receive(Command.class)
          .onMessage(Submit.class, submit -> {
            forward(coordinator, timeout, system, replyTo -> new Coordinator.Submit(submit.spec(),
                submit.sourceName(), Path.of(submit.baseDir()), replyTo, submit.code()),
                SubmitAnswer::of, submit.replyTo());
            return Behaviors.same();
          })
          .onMessage(Rerun.class, rerun -> {
            forward(coordinator, timeout, system, replyTo -> new Coordinator.Rerun(rerun.id(), rerun.failedOnly(),
                rerun.output(), replyTo), SubmitAnswer::of, rerun.replyTo());
            return Behaviors.same();
          })
          .onMessage(GetJob.class, get -> {
            forward(coordinator, timeout, system, replyTo -> new Coordinator.GetJob(get.id(), replyTo),
                JobAnswer::new, get.replyTo());
            return Behaviors.same();
          })
          .onMessage(CancelJob.class, cancel -> {
            forward(coordinator, timeout, system, replyTo -> new Coordinator.CancelJob(cancel.id(), replyTo),
                JobAnswer::new, cancel.replyTo());
            return Behaviors.same();
          })
          .onMessage(ListJobs.class, list -> {
            forward(coordinator, timeout, system, Coordinator.ListJobs::new, JobList::new, list.replyTo());
            return Behaviors.same();
          })
          .onMessage(GetHealth.class, health -> {
            forward(coordinator, timeout, system, Coordinator.GetHealth::new,
                (Coordinator.Health answer) -> new HealthAnswer(answer.accepting(), answer.runningJobs(),
                    answer.queuedJobs()), health.replyTo());
            return Behaviors.same();
          })
          .onMessage(GetJobCounts.class, counts -> {
            forward(coordinator, timeout, system, Coordinator.GetJobCounts::new, JobCounts::new, counts.replyTo());
            return Behaviors.same();
          })
          .onMessage(GetFailures.class, failures -> {
            forward(coordinator, timeout, system, replyTo -> new Coordinator.GetFailures(failures.id(), replyTo),
                (Optional<Coordinator.FailuresFile> where) -> new FailuresAnswer(where.isPresent(),
                    where.flatMap(Coordinator.FailuresFile::file).map(Path::toString)), failures.replyTo());
            return Behaviors.same();
          })
          .onMessage(GetNodes.class, nodes -> {
            forward(dispatcher, timeout, system, WorkDispatcher.GetNodes::new, NodesAnswer::new, nodes.replyTo());
            return Behaviors.same();
          })
          .onMessage(GetLoad.class, load -> {
            forward(dispatcher, timeout, system, WorkDispatcher.GetLoad::new,
                (WorkDispatcher.Load answer) -> new LoadAnswer(answer.queuedBatches(), answer.queuedItems(),
                    answer.nodes()), load.replyTo());
            return Behaviors.same();
          })
          .onMessageEquals(Stop.INSTANCE, () -> {
            context.getLog().info("handing the jobs over to the next coordinator");
            return Behaviors.stopped();
          })
          .onSignal(PostStop.class, stopped -> {
            stopAccepting.cancel();
            return Behaviors.same();
          })
          .build();
    });
  }

  /**
   * Asks an actor and sends its answer, in the asker's form, to the asker: here a local actor's answer in the wire's
   * form to a remote asker, and in {@link SingletonLink} the owner's answer in the API's form. Nothing is kept per
   * request, so the answer goes straight from the ask's completion; an actor that does not answer in time leaves
   * the asker to its own timeout, which the API turns into a 503.
   */
  static <C, A, W> void forward(ActorRef<C> target, Duration timeout, ActorSystem<?> system,
      Function<ActorRef<A>, C> make, java.util.function.Function<A, W> wire, ActorRef<W> replyTo) {
    CompletionStage<A> answer = AskPattern.ask(target, make, timeout, system.scheduler());
    answer.thenAccept(value -> replyTo.tell(wire.apply(value)));
  }
}
