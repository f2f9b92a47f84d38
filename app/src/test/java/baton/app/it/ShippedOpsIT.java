package baton.app.it;

import static baton.app.it.BatonProcesses.cli;
import static baton.app.it.BatonProcesses.readOutput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.app.cli.Cli.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ops that travel with the job ({@code submit --classpath}): a coordinator and a node as real processes, neither
 * with the test's op installed; two versions of one op, compiled here, in two jobs at once.
 */
final class ShippedOpsIT {

  @TempDir
  Path dir;

  @Test
  void submitClasspath_twoVersionsOfOneOpInTwoConcurrentJobs_eachJobItsOwnOutput() throws Exception {
    Path v1 = compileOp("v1");
    Path v2 = compileOp("v2");
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      String url = startCluster(processes, dir.resolve("data"));
      Path spec1 = spec("one", "out/one.tsv", 2000, false);
      Path spec2 = spec("two", "out/two.tsv", 2000, false);

      CompletableFuture<Run> first = CompletableFuture.supplyAsync(() ->
          cli("submit", spec1.toString(), "--classpath", v1.toString(), "--wait", "--coordinator", url));
      CompletableFuture<Run> second = CompletableFuture.supplyAsync(() ->
          cli("submit", spec2.toString(), "--classpath", v2.toString(), "--wait", "--coordinator", url));

      Run one = first.get();
      Run two = second.get();
      assertEquals(0, one.code(), one.err());
      assertEquals(0, two.code(), two.err());
      assertEquals(expected("v1", 2000), readOutput(dir.resolve("out/one.tsv")));
      assertEquals(expected("v2", 2000), readOutput(dir.resolve("out/two.tsv")));
    }
  }

  @Test
  void submit_opInNeitherBundleNorBaton_rejectedAtSubmitWithUnknownOp() throws Exception {
    Path v1 = compileOp("v1");
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      String url = startCluster(processes, dir.resolve("data"));
      Path spec = dir.resolve("missing.conf");
      Files.writeString(spec, "name = missing\ninput.range { from = 1, to = 10 }\n"
          + "stages = [ { op = no-such-op } ]\noutput = \"out/missing.tsv\"\n");

      Run withCode = cli("submit", spec.toString(), "--classpath", v1.toString(), "--coordinator", url);
      Run without = cli("submit", spec("plain", "out/plain.tsv", 10, false).toString(), "--coordinator", url);

      assertEquals(2, withCode.code(), withCode.err());
      assertTrue(withCode.err().contains("unknown op no-such-op") && withCode.err().contains("tag"),
          withCode.err());
      assertEquals(2, without.code(), "without --classpath the op is unknown: " + without.err());
      assertTrue(without.err().contains("unknown op tag"), without.err());
    }
  }

  @Test
  void coordinatorKilledMidJob_restartedOnItsDataDir_resumesWithTheStoredBundle() throws Exception {
    stoppedMidJobAndStartedAgain("slow", null);
  }

  @Test
  void rerun_ofAJobThatShippedCode_runsWithTheSameBundleAndTheNodeDropsEachJobsCode() throws Exception {
    Path v1 = compileOp("v1");
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      String url = startCluster(processes, dir.resolve("data"));
      Path spec = spec("again", "out/again.tsv", 500, false);
      Run first = cli("submit", spec.toString(), "--classpath", v1.toString(), "--wait", "--coordinator", url);
      assertEquals(0, first.code(), first.err());
      String id = first.out().strip();

      Run rerun = cli("rerun", id, "--wait", "--coordinator", url);

      assertEquals(0, rerun.code(), rerun.err());
      String rerunId = rerun.out().strip();
      assertEquals(expected("v1", 500), readOutput(dir.resolve("out/again.tsv.rerun-" + rerunId)));
      // The coordinator told the node each job's end, and the node let go of each job's class loader.
      awaitNodeLog("dropped the code of job " + id + ": the job has ended", 1);
      awaitNodeLog("dropped the code of job " + rerunId + ": the job has ended", 1);
    }
  }

  @Test
  void coordinatorStoppedWithSigtermMidJob_startedAgainOnItsDataDir_resumesAndTheNodeFetchesTheBundleAgain()
      throws Exception {
    stoppedMidJobAndStartedAgain("polite", "TERM");
  }

  /**
   * A coordinator running a job with shipped code (v2, on a node without the op) is killed ({@code signal} null) or
   * stopped with {@code signal} mid-job and started again on its data dir: the job ends with every item once.
   */
  private void stoppedMidJobAndStartedAgain(String name, String signal) throws Exception {
    Path v2 = compileOp("v2");
    Path data = dir.resolve("data");
    Path output = dir.resolve("out/" + name + ".tsv");
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      int clusterPort = BatonProcesses.freePort();
      int httpPort = BatonProcesses.freePort();
      String url = "http://127.0.0.1:" + httpPort;
      Process coordinator = startCoordinator(processes, clusterPort, httpPort, data, "coordinator");
      processes.start("node", "node", "--seed", "127.0.0.1:" + clusterPort, "--workers", "2",
          "--log-dir", dir.resolve("logs").toString());
      processes.awaitApi(httpPort, "/api/nodes", body -> body.contains("\"workers\":2"), Duration.ofSeconds(90));
      Path spec = spec(name, "out/" + name + ".tsv", 300, true);

      Run submit = cli("submit", spec.toString(), "--classpath", v2.toString(), "--coordinator", url);
      assertEquals(0, submit.code(), submit.err());
      String id = submit.out().strip();
      processes.awaitFile(output, text -> text.lines().count() >= 20, Duration.ofSeconds(60));
      if (signal == null) {
        processes.kill(coordinator);
      } else {
        processes.signal(coordinator, signal, Duration.ofSeconds(60));
      }
      long written = Files.readAllLines(output).size();
      assertTrue(written < 300, "the coordinator was " + (signal == null ? "killed" : "stopped") + " mid-job, after "
          + written + " of 300 items");
      startCoordinator(processes, clusterPort, httpPort, data, "coordinator-again");
      processes.awaitApi(httpPort, "/api/jobs/" + id, body -> body.contains("\"SUCCEEDED\""),
          Duration.ofSeconds(120));

      assertEquals(expected("v2", 300), readOutput(output));
      if (signal != null) {
        // The node left with the coordinator and joined again afresh, without the bundle: it fetched it from the
        // coordinator that came back, which serves it from its data dir.
        awaitNodeLog("fetched the job's code", 2);
      }
    }
  }

  /** Waits until the node's log holds {@code line} at least {@code times} times. */
  private void awaitNodeLog(String line, int times) throws Exception {
    Path logs = dir.resolve("logs");
    Instant deadline = Instant.now().plusSeconds(30);
    int found = 0;
    while (Instant.now().isBefore(deadline)) {
      found = 0;
      try (Stream<Path> files = Files.list(logs)) {
        for (Path file : files.filter(file -> file.getFileName().toString().startsWith("node-")).toList()) {
          found += (int) Files.readAllLines(file).stream().filter(text -> text.contains(line)).count();
        }
      }
      if (found >= times) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(200); // polling interval of an await with a deadline
    }
    throw new AssertionError("the node's log holds \"" + line + "\" " + found + " times, not " + times);
  }

  private String startCluster(BatonProcesses processes, Path data) throws Exception {
    int clusterPort = BatonProcesses.freePort();
    int httpPort = BatonProcesses.freePort();
    startCoordinator(processes, clusterPort, httpPort, data, "coordinator");
    processes.start("node", "node", "--seed", "127.0.0.1:" + clusterPort, "--workers", "2",
        "--log-dir", dir.resolve("logs").toString());
    processes.awaitApi(httpPort, "/api/nodes", body -> body.contains("\"workers\":2"), Duration.ofSeconds(90));
    return "http://127.0.0.1:" + httpPort;
  }

  private Process startCoordinator(BatonProcesses processes, int clusterPort, int httpPort, Path data, String name)
      throws Exception {
    return processes.start(name, "coordinator", "--port", Integer.toString(clusterPort),
        "--http-port", Integer.toString(httpPort), "--log-dir", dir.resolve("logs").toString(),
        "--data-dir", data.toString());
  }

  /** A job of range 1..items through the test's op {@code tag}, after a delay per item when {@code slow}. */
  private Path spec(String name, String output, int items, boolean slow) throws Exception {
    Path spec = dir.resolve(name + ".conf");
    String stages = slow ? "[ { op = delay, millis = 100, parallelism = 2 }, { op = tag, batch = 1 } ]"
        : "[ { op = tag } ]";
    Files.writeString(spec, "name = " + name + "\ninput.range { from = 1, to = " + items + " }\n"
        + "stages = " + stages + "\noutput = \"" + output + "\"\n");
    return spec;
  }

  private static Map<String, String> expected(String version, int items) {
    Map<String, String> expected = new HashMap<>();
    for (int n = 1; n <= items; n++) {
      expected.put(Integer.toString(n), version + ":" + n);
    }
    return expected;
  }

  /**
   * Compiles the op {@code tag} (a cpu op that makes {@code VERSION:key} of each item) into a class folder of its
   * own, with its provider file.
   */
  private Path compileOp(String version) throws Exception {
    Path src = Files.createDirectories(dir.resolve("src-" + version + "/test/tag"));
    Path classes = Files.createDirectories(dir.resolve("ops-" + version));
    Path source = src.resolve("TagOp.java");
    Files.writeString(source, """
        package test.tag;

        import baton.protocol.op.CpuOp;
        import baton.protocol.op.Op;
        import baton.protocol.op.OpKind;
        import baton.protocol.op.OpParams;
        import baton.protocol.op.OpProvider;
        import java.nio.charset.StandardCharsets;
        import java.util.Set;

        public final class TagOp implements OpProvider {
          public String name() { return "tag"; }
          public OpKind kind() { return OpKind.CPU; }
          public Set<String> parameters() { return Set.of(); }
          public Op create(OpParams params) {
            return (CpuOp) (key, payload) -> ("VERSION:" + key).getBytes(StandardCharsets.UTF_8);
          }
        }
        """.replace("VERSION", version));
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    int code = compiler.run(null, null, null, "-d", classes.toString(),
        "-cp", System.getProperty("java.class.path"), source.toString());
    assertEquals(0, code, "the test op compiles");
    Path services = Files.createDirectories(classes.resolve("META-INF/services"));
    Files.writeString(services.resolve("baton.protocol.op.OpProvider"), "test.tag.TagOp\n");
    return classes;
  }
}
