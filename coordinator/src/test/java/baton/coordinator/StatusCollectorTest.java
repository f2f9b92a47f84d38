package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code list} over running jobs: every job is in the answer, also one whose actor does not answer in time. */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
final class StatusCollectorTest {

  @JUnit5TestKit
  ActorTestKit testKit = ActorTestKit.create();

  @Test
  void collect_aJobThatDoesNotAnswerInTime_listedAsTheCoordinatorKnowsIt() {
    TestProbe<Job.Command> answering = testKit.createTestProbe();
    TestProbe<Job.Command> silent = testKit.createTestProbe();
    TestProbe<List<JobStatus>> replyTo = testKit.createTestProbe();
    JobStatus ended = status("ended", JobState.SUCCEEDED, "2026-11-27T10:00:00Z");
    JobStatus fast = status("fast", JobState.RUNNING, "2026-11-27T10:00:01Z");
    JobStatus slowAsKnown = status("slow", JobState.RUNNING, "2026-11-27T10:00:02Z");

    testKit.spawn(StatusCollector.create(List.of(ended),
        Map.of(answering.getRef(), status("fast", JobState.ACCEPTED, "2026-11-27T10:00:01Z"),
            silent.getRef(), slowAsKnown),
        replyTo.getRef(), Duration.ofMillis(300)));
    Job.GetStatus asked = answering.expectMessageClass(Job.GetStatus.class);
    silent.expectMessageClass(Job.GetStatus.class);
    asked.replyTo().tell(Optional.of(fast));

    assertEquals(List.of(ended, fast, slowAsKnown), replyTo.receiveMessage(Duration.ofSeconds(5)));
  }

  @Test
  void collect_everyJobAnswers_theirOwnStatusesInSubmissionOrder() {
    TestProbe<Job.Command> first = testKit.createTestProbe();
    TestProbe<Job.Command> second = testKit.createTestProbe();
    TestProbe<List<JobStatus>> replyTo = testKit.createTestProbe();
    JobStatus one = status("one", JobState.RUNNING, "2026-11-27T10:00:01Z");
    JobStatus two = status("two", JobState.RUNNING, "2026-11-27T10:00:02Z");

    testKit.spawn(StatusCollector.create(List.of(),
        Map.of(first.getRef(), status("one", JobState.ACCEPTED, one.submittedAt()),
            second.getRef(), status("two", JobState.ACCEPTED, two.submittedAt())),
        replyTo.getRef(), Duration.ofSeconds(30)));
    second.expectMessageClass(Job.GetStatus.class).replyTo().tell(Optional.of(two));
    first.expectMessageClass(Job.GetStatus.class).replyTo().tell(Optional.of(one));

    assertEquals(List.of(one, two), replyTo.receiveMessage(Duration.ofSeconds(5)));
  }

  private static JobStatus status(String id, JobState state, String submittedAt) {
    JournalV1.State journal = JournalV1.State.valueOf(state.name());
    return new JournalV1.JobSummary(id, id, journal, 0, new JournalV1.Counts(2, 0, 0, 0, 0), List.of(), null, null,
        submittedAt, null, null, List.of(), null, null, null).toStatus();
  }
}
