package baton.app;

import baton.coordinator.Coordinator;
import baton.coordinator.WorkDispatcher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The HTTP API's view of the {@link JobOwner}, wherever it runs: a local stand-in for the coordinator actor and one
 * for the dispatcher, which turn the API's requests into the owner's serializable ones, send them through the
 * singleton's proxy, and hand the answers back in the form the API asked for. While the owner moves to another
 * coordinator, the proxy keeps the requests until it is found; what does not come back in time leaves the API to
 * its own timeout (503).
 */
public final class SingletonLink {

  private SingletonLink() {
  }

  /** Stands in for the coordinator actor: the requests the HTTP API and the metrics make of it. */
  public static Behavior<Coordinator.Command> coordinator(ActorRef<JobOwner.Command> owner, Duration timeout) {
    return Behaviors.setup(context -> Behaviors.receive(Coordinator.Command.class)
        .onMessage(Coordinator.Submit.class, submit -> {
          JobOwner.forward(owner, timeout, context.getSystem(), replyTo -> new JobOwner.Submit(submit.spec(),
              submit.sourceName(), submit.baseDir().toString(), submit.code(), replyTo), JobOwner.SubmitAnswer::reply,
              submit.replyTo());
          return Behaviors.same();
        })
        .onMessage(Coordinator.Rerun.class, rerun -> {
          JobOwner.forward(owner, timeout, context.getSystem(), replyTo -> new JobOwner.Rerun(rerun.id(),
              rerun.failedOnly(), rerun.output(), replyTo), JobOwner.SubmitAnswer::reply, rerun.replyTo());
          return Behaviors.same();
        })
        .onMessage(Coordinator.GetJob.class, get -> {
          JobOwner.forward(owner, timeout, context.getSystem(), replyTo -> new JobOwner.GetJob(get.id(), replyTo),
              JobOwner.JobAnswer::status, get.replyTo());
          return Behaviors.same();
        })
        .onMessage(Coordinator.CancelJob.class, cancel -> {
          JobOwner.forward(owner, timeout, context.getSystem(), replyTo -> new JobOwner.CancelJob(cancel.id(), replyTo),
              JobOwner.JobAnswer::status, cancel.replyTo());
          return Behaviors.same();
        })
        .onMessage(Coordinator.ListJobs.class, list -> {
          JobOwner.forward(owner, timeout, context.getSystem(), JobOwner.ListJobs::new, JobOwner.JobList::jobs,
              list.replyTo());
          return Behaviors.same();
        })
        .onMessage(Coordinator.GetHealth.class, health -> {
          JobOwner.forward(owner, timeout, context.getSystem(), JobOwner.GetHealth::new,
              (JobOwner.HealthAnswer answer) -> new Coordinator.Health(answer.accepting(), answer.runningJobs(),
                  answer.queuedJobs()), health.replyTo());
          return Behaviors.same();
        })
        .onMessage(Coordinator.GetJobCounts.class, counts -> {
          JobOwner.forward(owner, timeout, context.getSystem(), JobOwner.GetJobCounts::new,
              JobOwner.JobCounts::byState, counts.replyTo());
          return Behaviors.same();
        })
        .onMessage(Coordinator.GetFailures.class, failures -> {
          JobOwner.forward(owner, timeout, context.getSystem(),
              replyTo -> new JobOwner.GetFailures(failures.id(), replyTo),
              (JobOwner.FailuresAnswer answer) -> answer.known()
                  ? Optional.of(new Coordinator.FailuresFile(answer.file().map(Path::of))) : Optional.empty(),
              failures.replyTo());
          return Behaviors.same();
        })
        .onAnyMessage(other -> {
          // The owner stops taking jobs itself when its process shuts down (JobOwner); nothing else comes here.
          context.getLog().debug("not for the job owner: {}", other.getClass().getSimpleName());
          return Behaviors.same();
        })
        .build());
  }

  /** Stands in for the dispatcher: the node list and load the HTTP API and the metrics ask for. */
  public static Behavior<WorkDispatcher.Command> dispatcher(ActorRef<JobOwner.Command> owner, Duration timeout) {
    return Behaviors.setup(context -> Behaviors.receive(WorkDispatcher.Command.class)
        .onMessage(WorkDispatcher.GetNodes.class, nodes -> {
          JobOwner.forward(owner, timeout, context.getSystem(), JobOwner.GetNodes::new, JobOwner.NodesAnswer::nodes,
              nodes.replyTo());
          return Behaviors.same();
        })
        .onMessage(WorkDispatcher.GetLoad.class, load -> {
          JobOwner.forward(owner, timeout, context.getSystem(), JobOwner.GetLoad::new, (JobOwner.LoadAnswer answer) ->
              new WorkDispatcher.Load(answer.queuedBatches(), answer.queuedItems(), answer.nodes()),
              load.replyTo());
          return Behaviors.same();
        })
        .onAnyMessage(other -> {
          context.getLog().debug("not for the job owner: {}", other.getClass().getSimpleName());
          return Behaviors.same();
        })
        .build());
  }
}
