package baton.coordinator;

import baton.coordinator.api.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** Gathers the statuses of running jobs for one {@code list} request, then answers and stops. */
final class StatusCollector {

  private static final Duration PATIENCE = Duration.ofSeconds(3);

  /** The order of {@code list}: by submission time (ISO-8601 text of varying precision, so compared as instants). */
  static final Comparator<JobStatus> OLDEST_FIRST = Comparator.comparing(
      (JobStatus status) -> status.submittedAt() == null ? null : Instant.parse(status.submittedAt()),
      Comparator.nullsFirst(Comparator.naturalOrder()));

  private enum Timeout { INSTANCE }

  private StatusCollector() {
  }

  static Behavior<Object> create(List<JobStatus> known, List<ActorRef<Job.Command>> jobs,
      ActorRef<List<JobStatus>> replyTo) {
    return Behaviors.setup(context -> {
      @SuppressWarnings("unchecked")
      ActorRef<Optional<JobStatus>> self = context.getSelf().unsafeUpcast().narrow();
      jobs.forEach(job -> job.tell(new Job.GetStatus(self)));
      context.scheduleOnce(PATIENCE, context.getSelf(), Timeout.INSTANCE);
      return collecting(new ArrayList<>(known), jobs.size(), replyTo);
    });
  }

  private static Behavior<Object> collecting(List<JobStatus> statuses, int missing,
      ActorRef<List<JobStatus>> replyTo) {
    if (missing == 0) {
      return answer(statuses, replyTo);
    }
    return Behaviors.receive(Object.class)
        .onMessage(Optional.class, status -> {
          status.ifPresent(value -> statuses.add((JobStatus) value));
          return collecting(statuses, missing - 1, replyTo);
        })
        .onMessageEquals(Timeout.INSTANCE, () -> answer(statuses, replyTo))
        .build();
  }

  private static Behavior<Object> answer(List<JobStatus> statuses, ActorRef<List<JobStatus>> replyTo) {
    statuses.sort(OLDEST_FIRST);
    replyTo.tell(List.copyOf(statuses));
    return Behaviors.stopped();
  }
}
