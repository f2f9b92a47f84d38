package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.coordinator.spec.JobSpecParser;
import baton.protocol.op.OpRegistry;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator stopped mid-job and started again on the same journal: the job resumes from its last checkpoint
 * and its output ends with every item exactly once. (NodeFaultIT does the same with SIGKILL and real processes.)
 */
// One instance per class: TestKitJUnit5Extension shuts down only the last instance's test kit.
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
final class DurabilityTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(Journal.withDatabase(ConfigFactory.parseString(
          "baton.coordinator.checkpoint-interval = 20ms\nbaton.journal.coordinator-snapshot-every = 200")
          .withFallback(ConfigFactory.load()))).build();

  @TempDir
  Path dir;

  @Test
  void coordinator_stoppedMidJobAndStartedAgain_jobResumesAndOutputHasEveryItemOnce() throws Exception {
    String journalName = "coordinator-" + UUID.randomUUID();
    ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create());
    ActorRef<Coordinator.Command> first = spawnCoordinator(journalName, dispatcher);
    int items = 400;
    String spec = "name = resumable\ninput.range { from = 1, to = " + items + " }\n"
        + "stages = [ { op = delay, millis = 10, parallelism = 8 } ]\noutput = \"out/resumed.tsv\"\n";
    TestProbe<Coordinator.SubmitReply> reply = testKit.createTestProbe();
    first.tell(new Coordinator.Submit(spec, "resumable.conf", dir, reply.ref()));
    String id = assertInstanceOf(Coordinator.Accepted.class, reply.receiveMessage(WAIT)).status().id();
    JobStatus midway = await(first, id, status -> status.items().succeeded() >= 120);

    testKit.stop(first, WAIT);
    // The resumed job starts from its checkpoint: some items done, not none and not all.
    ActorRef<Coordinator.Command> second = LoggingTestKit.custom(event -> resumedWithSomeDone(event.message(), id,
        items)).expect(testKit.system(), () -> spawnCoordinator(journalName, dispatcher));
    JobStatus done = await(second, id, status -> status.state().isFinal());

    assertEquals(JobState.SUCCEEDED, done.state(), done.toString());
    assertEquals(items, done.items().succeeded(), done.toString());
    ItemCounts.assertAddUp(done);
    assertNull(done.error());
    assertTrue(midway.items().succeeded() < items, "the job ended before the stop: " + midway);
    Map<String, String> output = new HashMap<>();
    List<String> lines = Files.readAllLines(dir.resolve("out/resumed.tsv"));
    for (String line : lines) {
      String[] parts = line.split("\t", 2);
      assertNull(output.put(parts[0], parts[1]), "written twice: " + parts[0]);
    }
    assertEquals(items, lines.size());
    for (int n = 1; n <= items; n++) {
      assertEquals(Integer.toString(n), output.get(Integer.toString(n)), "item " + n);
    }
  }

  @Test
  void coordinator_startedAgain_listsTheJobsThatEndedBefore() {
    String journalName = "coordinator-" + UUID.randomUUID();
    ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create());
    ActorRef<Coordinator.Command> first = spawnCoordinator(journalName, dispatcher);
    TestProbe<Coordinator.SubmitReply> reply = testKit.createTestProbe();
    first.tell(new Coordinator.Submit("name = quick\ninput.range { from = 1, to = 3 }\n"
        + "stages = [ { op = delay, millis = 1 } ]\n", "quick.conf", dir, reply.ref()));
    String id = assertInstanceOf(Coordinator.Accepted.class, reply.receiveMessage(WAIT)).status().id();
    JobStatus ended = await(first, id, status -> status.state().isFinal());

    testKit.stop(first, WAIT);
    ActorRef<Coordinator.Command> second = spawnCoordinator(journalName, dispatcher);
    TestProbe<List<JobStatus>> list = testKit.createTestProbe();
    second.tell(new Coordinator.ListJobs(list.ref()));

    assertEquals(List.of(ended), list.receiveMessage(WAIT));
  }

  @Test
  void coordinator_startedAgainAfterASnapshot_listsEveryJobOldestFirst() {
    String journalName = "coordinator-" + UUID.randomUUID();
    ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create());
    ActorRef<Coordinator.Command> first = spawnCoordinator(journalName, dispatcher);
    List<String> ids = new java.util.ArrayList<>();
    // Two events a job: 130 jobs pass the snapshot taken every 200 events (set above), and leave some events after it.
    for (int i = 0; i < 130; i++) {
      TestProbe<Coordinator.SubmitReply> reply = testKit.createTestProbe();
      first.tell(new Coordinator.Submit("name = tiny\ninput.range { from = 1, to = 1 }\n"
          + "stages = [ { op = delay, millis = 0 } ]\n", "tiny.conf", dir, reply.ref()));
      ids.add(assertInstanceOf(Coordinator.Accepted.class, reply.receiveMessage(WAIT)).status().id());
    }
    List<JobStatus> before = testKit.createTestProbe().awaitAssert(WAIT, () -> {
      TestProbe<List<JobStatus>> listed = testKit.createTestProbe();
      first.tell(new Coordinator.ListJobs(listed.ref()));
      List<JobStatus> jobs = listed.receiveMessage(WAIT);
      assertTrue(jobs.size() == ids.size() && jobs.stream().allMatch(job -> job.state().isFinal()), jobs.toString());
      return jobs;
    });

    testKit.stop(first, WAIT);
    ActorRef<Coordinator.Command> second = spawnCoordinator(journalName, dispatcher);
    TestProbe<List<JobStatus>> list = testKit.createTestProbe();
    second.tell(new Coordinator.ListJobs(list.ref()));

    List<JobStatus> after = list.receiveMessage(WAIT);
    assertEquals(before, after);
    assertEquals(Set.copyOf(ids), after.stream().map(JobStatus::id).collect(Collectors.toSet()));
    assertTrue(after.stream().allMatch(job -> job.state() == JobState.SUCCEEDED), after.toString());
  }

  @Test
  void coordinator_startedAgainAfterTheMatchedFilesAreGone_jobResumesAndEachGoneFileIsAFailedItem() throws Exception {
    String journalName = "coordinator-" + UUID.randomUUID();
    ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create());
    ActorRef<Coordinator.Command> first = spawnCoordinator(journalName, dispatcher);
    int items = 6;
    Path data = Files.createDirectories(dir.resolve("gone"));
    for (int n = 1; n <= items; n++) {
      Files.writeString(data.resolve("file-" + n + ".txt"), "content " + n);
    }
    // One item at a time, slowly, so the coordinator stops with some items done and most not.
    String spec = "name = vanishing\ninput.files = \"gone/*.txt\"\n"
        + "stages = [ { op = read-file, parallelism = 1 }, { op = delay, millis = 300, parallelism = 1 } ]\n"
        + "retries = 0\nmax-failed-items = " + items + "\noutput = \"out/vanishing.tsv\"\n";
    TestProbe<Coordinator.SubmitReply> reply = testKit.createTestProbe();
    first.tell(new Coordinator.Submit(spec, "vanishing.conf", dir, reply.ref()));
    String id = assertInstanceOf(Coordinator.Accepted.class, reply.receiveMessage(WAIT)).status().id();
    await(first, id, status -> status.items().succeeded() >= 1);
    testKit.stop(first, WAIT);

    // Every file the glob matched is gone: it matches nothing now.
    for (int n = 1; n <= items; n++) {
      Files.delete(data.resolve("file-" + n + ".txt"));
    }
    long[] alreadyDone = {-1};
    ActorRef<Coordinator.Command> second = LoggingTestKit.custom(event -> {
      Matcher resumed = Pattern.compile("resuming job " + id + " after a restart: (\\d+) items already done")
          .matcher(event.message());
      if (resumed.matches()) {
        alreadyDone[0] = Long.parseLong(resumed.group(1));
      }
      return resumed.matches();
    }).expect(testKit.system(), () -> spawnCoordinator(journalName, dispatcher));
    JobStatus done = await(second, id, status -> status.state().isFinal());

    assertEquals(JobState.SUCCEEDED, done.state(), done.toString());
    assertTrue(alreadyDone[0] >= 0 && alreadyDone[0] < items, "resumed with " + alreadyDone[0] + " done");
    assertEquals(new JobStatus.Items(items, alreadyDone[0], items - alreadyDone[0], 0, 0), done.items());
    assertEquals(items - alreadyDone[0], done.stages().get(0).failed(), "read-file fails each file that is gone");
    ItemCounts.assertAddUp(done);
    assertEquals(alreadyDone[0], Files.readAllLines(dir.resolve("out/vanishing.tsv")).size());
  }

  private static boolean resumedWithSomeDone(String message, String id, int items) {
    Matcher resumed = Pattern.compile("resuming job " + id + " after a restart: (\\d+) items already done")
        .matcher(message);
    if (!resumed.matches()) {
      return false;
    }
    long done = Long.parseLong(resumed.group(1));
    return done > 0 && done < items;
  }

  private ActorRef<Coordinator.Command> spawnCoordinator(String journalName,
      ActorRef<WorkDispatcher.Command> dispatcher) {
    CoordinatorSettings settings = CoordinatorSettings.from(testKit.system().settings().config());
    OpRegistry registry = OpRegistry.load(getClass().getClassLoader(), testKit.system().settings().config());
    return testKit.spawn(Coordinator.create(settings, new JobSpecParser(registry, settings.job()), dispatcher,
        journalName));
  }

  private JobStatus await(ActorRef<Coordinator.Command> coordinator, String id,
      java.util.function.Predicate<JobStatus> check) {
    return testKit.createTestProbe().awaitAssert(WAIT, () -> {
      TestProbe<Optional<JobStatus>> reply = testKit.createTestProbe();
      coordinator.tell(new Coordinator.GetJob(id, reply.ref()));
      JobStatus status = reply.receiveMessage(WAIT).orElseThrow();
      assertTrue(check.test(status), status.toString());
      return status;
    });
  }
}
