package baton.coordinator;

import baton.coordinator.api.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** Gathers the statuses of running jobs for one {@code list} request, then answers and stops. */
final class StatusCollector {

  /** The order of {@code list}: by submission time (ISO-8601 text of varying precision, so compared as instants). */
  static final Comparator<JobStatus> OLDEST_FIRST = Comparator.comparing(
      (JobStatus status) -> status.submittedAt() == null ? null : Instant.parse(status.submittedAt()),
      Comparator.nullsFirst(Comparator.naturalOrder()));

  /** What the collector takes: the jobs' replies, adapted, and its own timeout. */
  interface Command {
  }

  private record Answered(Optional<JobStatus> status) implements Command {
  }

  private enum Timeout implements Command { INSTANCE }

  private StatusCollector() {
  }

  /**
   * Asks each running job for its status and waits at most {@code patience}: a job that has not answered by then is
   * listed as the coordinator knows it (its value in {@code jobs}), so that {@code list} never leaves a job out.
   */
  static Behavior<Command> create(List<JobStatus> known, Map<ActorRef<Job.Command>, JobStatus> jobs,
      ActorRef<List<JobStatus>> replyTo, Duration patience) {
    return Behaviors.setup(context -> {
      @SuppressWarnings({"unchecked", "rawtypes"})
      ActorRef<Optional<JobStatus>> answers = (ActorRef) context.messageAdapter(Optional.class, Answered::new);
      Map<String, JobStatus> unanswered = new LinkedHashMap<>();
      jobs.forEach((job, asKnown) -> {
        unanswered.put(asKnown.id(), asKnown);
        job.tell(new Job.GetStatus(answers));
      });
      context.scheduleOnce(patience, context.getSelf(), Timeout.INSTANCE);
      return collecting(new ArrayList<>(known), unanswered, jobs.size(), replyTo);
    });
  }

  private static Behavior<Command> collecting(List<JobStatus> statuses, Map<String, JobStatus> unanswered,
      int missing, ActorRef<List<JobStatus>> replyTo) {
    if (missing == 0) {
      return answer(statuses, replyTo);
    }
    return Behaviors.receive(Command.class)
        .onMessage(Answered.class, answered -> {
          answered.status().ifPresent(status -> {
            statuses.add(status);
            unanswered.remove(status.id());
          });
          return collecting(statuses, unanswered, missing - 1, replyTo);
        })
        .onMessageEquals(Timeout.INSTANCE, () -> {
          statuses.addAll(unanswered.values());
          return answer(statuses, replyTo);
        })
        .build();
  }

  private static Behavior<Command> answer(List<JobStatus> statuses, ActorRef<List<JobStatus>> replyTo) {
    statuses.sort(OLDEST_FIRST);
    replyTo.tell(List.copyOf(statuses));
    return Behaviors.stopped();
  }
}
