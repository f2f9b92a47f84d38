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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failed items of a job: the spec's {@code errors} file (one line per failed item, written once each, also
 * when the coordinator stops mid-job and starts again), and {@code rerun}, a new job over exactly those items.
 */
// One instance per class: TestKitJUnit5Extension shuts down only the last instance's test kit.
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
final class FailuresTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(Journal.withDatabase(ConfigFactory.parseString(
          "baton.coordinator.checkpoint-interval = 20ms").withFallback(ConfigFactory.load()))).build();

  @TempDir
  Path dir;

  @Test
  void errorsFile_someItemsFail_oneEscapedLinePerFailedItemWithStageOpAttemptsAndReason() throws Exception {
    ActorRef<Coordinator.Command> coordinator = spawnCoordinator("coordinator-" + UUID.randomUUID());
    Files.writeString(dir.resolve("here.txt"), "present");
    Files.writeString(dir.resolve("keys.txt"), "here.txt\ngone.txt\ntab\there.txt\n");
    String spec = "name = errors\ninput.lines = \"keys.txt\"\nstages = [ { op = delay, millis = 1 }, "
        + "{ op = read-file } ]\nretries = 1\nmax-failed-items = 10\nerrors = \"out/failed.tsv\"\n";

    JobStatus done = awaitEnd(coordinator, submit(coordinator, spec, dir));

    assertEquals(new JobStatus.Items(3, 1, 2, 0, 0), done.items());
    List<String> lines = Files.readAllLines(dir.resolve("out/failed.tsv"));
    assertEquals(2, lines.size(), lines.toString());
    Map<String, String[]> byKey = new HashMap<>();
    for (String line : lines) {
      String[] fields = line.split("\t", -1);
      assertEquals(5, fields.length, "key, stage, op, attempts, reason: " + line);
      byKey.put(fields[0], fields);
    }
    assertEquals(Set.of("gone.txt", "tab\\there.txt"), byKey.keySet());
    for (String[] fields : byKey.values()) {
      assertEquals("2", fields[1], "read-file is the second stage");
      assertEquals("read-file", fields[2]);
      assertEquals("2", fields[3], "one try and one retry");
      assertTrue(fields[4].contains("gone.txt") || fields[4].contains("here.txt"), fields[4]);
    }
  }

  @Test
  void errorsFile_coordinatorStoppedMidJobAndStartedAgain_eachFailedItemWrittenOnce() throws Exception {
    String journalName = "coordinator-" + UUID.randomUUID();
    ActorRef<Coordinator.Command> first = spawnCoordinator(journalName);
    int items = 400;
    Path in = evenFiles(items);
    String spec = "name = half\ninput.range { from = 1, to = " + items + " }\n"
        + "stages = [ { op = delay, millis = 10, parallelism = 8 }, { op = read-file } ]\n"
        + "retries = 0\nmax-failed-items = " + items + "\noutput = \"out/half.tsv\"\nerrors = \"out/failed.tsv\"\n";
    String id = submit(first, spec, in);
    JobStatus midway = await(first, id, status -> status.items().failed() >= 60);

    testKit.stop(first, WAIT);
    ActorRef<Coordinator.Command> second = spawnCoordinator(journalName);
    JobStatus done = awaitEnd(second, id);

    assertTrue(midway.items().failed() < items / 2, "the job ended before the stop: " + midway);
    assertEquals(new JobStatus.Items(items, items / 2, items / 2, 0, 0), done.items(), done.toString());
    assertEquals(oddKeys(items), keysOnce(in.resolve("out/failed.tsv")));
    assertEquals(items / 2, keysOnce(in.resolve("out/half.tsv")).size());
  }

  @Test
  void errorsFile_jobStoppedByMaxFailedItemsOrCancelled_holdsEveryItemItsStatusCountsAsFailed() throws Exception {
    ActorRef<Coordinator.Command> coordinator = spawnCoordinator("coordinator-" + UUID.randomUUID());
    Path in = evenFiles(200);
    // The default max-failed-items = 0: the first failure stops the job while others are still on their way.
    String stopped = submit(coordinator, "name = strict\ninput.range { from = 1, to = 200 }\n"
        + "stages = [ { op = read-file, parallelism = 16 }, { op = delay, millis = 20, parallelism = 16 } ]\n"
        + "retries = 0\nerrors = \"out/strict.tsv\"\n", in);
    JobStatus failed = awaitEnd(coordinator, stopped);
    String cancelled = submit(coordinator, "name = cancelled\ninput.range { from = 1, to = 2000 }\n"
        + "stages = [ { op = read-file, parallelism = 16 }, { op = delay, millis = 200, parallelism = 64 } ]\n"
        + "retries = 0\nmax-failed-items = 2000\nerrors = \"out/cancelled.tsv\"\n", in);
    await(coordinator, cancelled, status -> status.stages().get(0).failed() >= 20);
    TestProbe<Optional<JobStatus>> cancel = testKit.createTestProbe();
    coordinator.tell(new Coordinator.CancelJob(cancelled, cancel.ref()));
    JobStatus stoppedByCancel = awaitEnd(coordinator, cancelled);

    assertEquals(JobState.FAILED, failed.state(), failed.toString());
    assertTrue(failed.items().failed() >= 1, failed.toString());
    assertEquals(failed.items().failed(), keysOnce(in.resolve("out/strict.tsv")).size(), failed + "\n"
        + Files.readString(in.resolve("out/strict.tsv")));
    assertEquals(JobState.CANCELLED, stoppedByCancel.state(), stoppedByCancel.toString());
    assertTrue(stoppedByCancel.items().failed() >= 20, stoppedByCancel.toString());
    assertEquals(stoppedByCancel.items().failed(), keysOnce(in.resolve("out/cancelled.tsv")).size(),
        stoppedByCancel.toString());
  }

  @Test
  void rerun_failedOnly_newJobRunsExactlyTheFailedItemsIntoItsOwnOutputAndLinksTheFirst() throws Exception {
    ActorRef<Coordinator.Command> coordinator = spawnCoordinator("coordinator-" + UUID.randomUUID());
    int items = 40;
    Path in = evenFiles(items);
    String spec = "name = half\ninput.range { from = 1, to = " + items + " }\nstages = [ { op = read-file } ]\n"
        + "retries = 0\nmax-failed-items = " + items + "\noutput = \"out/half.tsv\"\nerrors = \"out/failed.tsv\"\n";
    String first = submit(coordinator, spec, in);
    JobStatus firstDone = awaitEnd(coordinator, first);
    assertEquals(items / 2, firstDone.items().failed(), firstDone.toString());
    for (int n = 1; n <= items; n += 2) {
      Files.writeString(in.resolve(Integer.toString(n)), "late " + n);
    }

    Coordinator.SubmitReply reply = rerun(coordinator, first, true);

    JobStatus accepted = assertInstanceOf(Coordinator.Accepted.class, reply).status();
    assertEquals(first, accepted.rerunOf());
    JobStatus done = awaitEnd(coordinator, accepted.id());
    assertEquals(JobState.SUCCEEDED, done.state(), done.toString());
    assertEquals(new JobStatus.Items(items / 2, items / 2, 0, 0, 0), done.items());
    ItemCounts.assertAddUp(done);
    assertEquals(first, done.rerunOf());
    Path rerunOutput = in.resolve("out/half.tsv.rerun-" + accepted.id());
    assertEquals(rerunOutput.toString(), done.output());
    assertEquals(oddKeys(items), keysOnce(rerunOutput));
    assertEquals(items / 2, keysOnce(in.resolve("out/half.tsv")).size(), "the first job's output is left alone");
    assertEquals(oddKeys(items), keysOnce(in.resolve("out/failed.tsv")), "the first job's errors are left alone");
    assertNull(firstDone.rerunOf());
  }

  @Test
  void rerun_allItems_newJobRunsTheWholeInputAgain() throws Exception {
    ActorRef<Coordinator.Command> coordinator = spawnCoordinator("coordinator-" + UUID.randomUUID());
    int items = 10;
    Path in = evenFiles(items);
    String spec = "name = half\ninput.range { from = 1, to = " + items + " }\nstages = [ { op = read-file } ]\n"
        + "retries = 0\nmax-failed-items = " + items + "\n";
    String first = submit(coordinator, spec, in);
    awaitEnd(coordinator, first);

    JobStatus accepted = assertInstanceOf(Coordinator.Accepted.class, rerun(coordinator, first, false)).status();
    JobStatus done = awaitEnd(coordinator, accepted.id());

    assertEquals(new JobStatus.Items(items, items / 2, items / 2, 0, 0), done.items());
    assertEquals(first, done.rerunOf());
  }

  @Test
  void rerun_askedRightAfterACancelWhileTheJobStillStops_acceptedOnceTheJobHasEnded() throws Exception {
    ActorRef<Coordinator.Command> coordinator = spawnCoordinator("coordinator-" + UUID.randomUUID());
    Path in = evenFiles(4);
    String first = submit(coordinator, "name = slow\ninput.range { from = 1, to = 4 }\n"
        + "stages = [ { op = delay, millis = 60000, parallelism = 1 } ]\n", in);
    await(coordinator, first, status -> status.state() == JobState.RUNNING);
    TestProbe<Optional<JobStatus>> cancel = testKit.createTestProbe();
    coordinator.tell(new Coordinator.CancelJob(first, cancel.ref()));
    // Its status names its end at once; the end itself reaches the coordinator a moment later.
    assertEquals(JobState.CANCELLED, cancel.receiveMessage(WAIT).orElseThrow().state());

    Coordinator.SubmitReply reply = rerun(coordinator, first, false);

    JobStatus accepted = assertInstanceOf(Coordinator.Accepted.class, reply, reply.toString()).status();
    assertEquals(first, accepted.rerunOf());
    assertEquals(JobState.CANCELLED, awaitEnd(coordinator, first).state());
    coordinator.tell(new Coordinator.CancelJob(accepted.id(), testKit.<Optional<JobStatus>>createTestProbe().ref()));
    awaitEnd(coordinator, accepted.id());
  }

  @Test
  void rerun_ofAJobThatBroughtCode_allAndFailedOnlyRunWithTheSameBundle() throws Exception {
    String hash = "c0de".repeat(16);
    ActorRef<Coordinator.Command> coordinator = spawnCoordinator("coordinator-" + UUID.randomUUID(), hash);
    int items = 10;
    Path in = evenFiles(items);
    // echo is only in the bundle: a rerun without the job's code would not know it.
    String spec = "name = shipped\ninput.range { from = 1, to = " + items + " }\n"
        + "stages = [ { op = echo }, { op = read-file } ]\nretries = 0\nmax-failed-items = " + items + "\n";
    TestProbe<Coordinator.SubmitReply> submitted = testKit.createTestProbe();
    coordinator.tell(new Coordinator.Submit(spec, "spec.conf", in, submitted.ref(), hash));
    String first = assertInstanceOf(Coordinator.Accepted.class, submitted.receiveMessage(WAIT)).status().id();
    JobStatus firstDone = awaitEnd(coordinator, first);
    assertEquals(new JobStatus.Items(items, items / 2, items / 2, 0, 0), firstDone.items());

    Coordinator.SubmitReply all = rerun(coordinator, first, false);
    Coordinator.SubmitReply failedOnly = rerun(coordinator, first, true);

    JobStatus allDone = awaitEnd(coordinator,
        assertInstanceOf(Coordinator.Accepted.class, all, all.toString()).status().id());
    JobStatus failedDone = awaitEnd(coordinator,
        assertInstanceOf(Coordinator.Accepted.class, failedOnly, failedOnly.toString()).status().id());
    assertEquals(new JobStatus.Items(items, items / 2, items / 2, 0, 0), allDone.items(), allDone.toString());
    assertEquals(new JobStatus.Items(items / 2, 0, items / 2, 0, 0), failedDone.items(), failedDone.toString());
    assertEquals(first, allDone.rerunOf());
    assertEquals(first, failedDone.rerunOf());
  }

  @Test
  void rerun_unknownRunningOrWithoutFailures_refusedWithOneClearMessage() throws Exception {
    ActorRef<Coordinator.Command> coordinator = spawnCoordinator("coordinator-" + UUID.randomUUID());
    String clean = submit(coordinator, "name = clean\ninput.range { from = 1, to = 3 }\n"
        + "stages = [ { op = delay, millis = 1 } ]\n", dir);
    awaitEnd(coordinator, clean);
    String slow = submit(coordinator, "name = slow\ninput.range { from = 1, to = 3 }\n"
        + "stages = [ { op = delay, millis = 600000 } ]\n", dir);

    assertEquals(new Coordinator.UnknownJob("no job nosuch-000000"), rerun(coordinator, "nosuch-000000", true));
    assertEquals(new Coordinator.CannotRerun("job " + slow + " is RUNNING: rerun it once it has ended"),
        rerun(coordinator, slow, false));
    assertEquals(new Coordinator.CannotRerun("job " + clean + " has no failed items to rerun"),
        rerun(coordinator, clean, true));
  }

  /** A folder with a file for each even number up to {@code items}: read-file fails the odd ones. */
  private Path evenFiles(int items) throws Exception {
    Path in = Files.createDirectories(dir.resolve("in-" + UUID.randomUUID()));
    for (int n = 2; n <= items; n += 2) {
      Files.writeString(in.resolve(Integer.toString(n)), "content " + n);
    }
    return in;
  }

  private static Set<String> oddKeys(int items) {
    Set<String> keys = new TreeSet<>();
    for (int n = 1; n <= items; n += 2) {
      keys.add(Integer.toString(n));
    }
    return keys;
  }

  /** The keys of a TSV file's lines (none when there is no file), failing when one is there twice. */
  private static Set<String> keysOnce(Path file) throws Exception {
    Set<String> keys = new TreeSet<>();
    List<String> twice = new ArrayList<>();
    if (!Files.exists(file)) {
      return keys;
    }
    for (String line : Files.readAllLines(file)) {
      String key = line.substring(0, line.indexOf('\t'));
      if (!keys.add(key)) {
        twice.add(key);
      }
    }
    assertEquals(List.of(), twice, "written twice in " + file);
    return keys;
  }

  private String submit(ActorRef<Coordinator.Command> coordinator, String spec, Path baseDir) {
    TestProbe<Coordinator.SubmitReply> reply = testKit.createTestProbe();
    coordinator.tell(new Coordinator.Submit(spec, "spec.conf", baseDir, reply.ref()));
    return assertInstanceOf(Coordinator.Accepted.class, reply.receiveMessage(WAIT)).status().id();
  }

  private Coordinator.SubmitReply rerun(ActorRef<Coordinator.Command> coordinator, String id, boolean failedOnly) {
    TestProbe<Coordinator.SubmitReply> reply = testKit.createTestProbe();
    coordinator.tell(new Coordinator.Rerun(id, failedOnly, Optional.empty(), reply.ref()));
    return reply.receiveMessage(WAIT);
  }

  private ActorRef<Coordinator.Command> spawnCoordinator(String journalName) {
    CoordinatorSettings settings = CoordinatorSettings.from(testKit.system().settings().config());
    OpRegistry registry = OpRegistry.load(getClass().getClassLoader(), testKit.system().settings().config());
    return testKit.spawn(Coordinator.create(settings, new JobSpecParser(registry, settings.job()),
        testKit.spawn(WorkDispatcher.create()), journalName));
  }

  /**
   * A coordinator that takes jobs bringing the code bundle {@code hash}: the bundle's ops are the test's user ops
   * ({@code echo}, ...), which the coordinator's own registry does not know.
   */
  private ActorRef<Coordinator.Command> spawnCoordinator(String journalName, String hash) {
    CoordinatorSettings settings = CoordinatorSettings.from(testKit.system().settings().config());
    OpRegistry registry = OpRegistry.load(getClass().getClassLoader(), testKit.system().settings().config());
    ClassLoader parent = getClass().getClassLoader();
    ClassLoader withTestOps = new ClassLoader(parent) {
      @Override
      public java.util.Enumeration<java.net.URL> getResources(String name) throws java.io.IOException {
        List<java.net.URL> found = new ArrayList<>(java.util.Collections.list(super.getResources(name)));
        if (name.equals("META-INF/services/baton.protocol.op.OpProvider")) {
          found.add(parent.getResource("baton/coordinator/spec/test-ops.services"));
        }
        return java.util.Collections.enumeration(found);
      }
    };
    OpRegistry bundle = OpRegistry.load(withTestOps, testKit.system().settings().config());
    JobSpecParser parser = new JobSpecParser(registry, settings.job()).withBundles(code -> {
      if (!code.equals(hash)) {
        throw new baton.protocol.spec.SpecException("no code bundle " + code);
      }
      return bundle;
    });
    return testKit.spawn(Coordinator.create(settings, parser, testKit.spawn(WorkDispatcher.create()), journalName));
  }

  private JobStatus awaitEnd(ActorRef<Coordinator.Command> coordinator, String id) {
    // A stopping job's status already names its final state; it has ended (its files complete) once it has an end.
    JobStatus done = await(coordinator, id, status -> status.state().isFinal() && status.finishedAt() != null);
    ItemCounts.assertAddUp(done);
    return done;
  }

  private JobStatus await(ActorRef<Coordinator.Command> coordinator, String id, Predicate<JobStatus> check) {
    return testKit.createTestProbe().awaitAssert(WAIT, () -> {
      TestProbe<Optional<JobStatus>> reply = testKit.createTestProbe();
      coordinator.tell(new Coordinator.GetJob(id, reply.ref()));
      JobStatus status = reply.receiveMessage(WAIT).orElseThrow();
      assertTrue(check.test(status), status.toString());
      return status;
    });
  }
}
