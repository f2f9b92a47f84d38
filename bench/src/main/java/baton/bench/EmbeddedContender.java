package baton.bench;

import baton.app.Embedded;
import baton.app.logging.LogSetup;
import baton.coordinator.BatonConfig;
import baton.coordinator.Coordinator;
import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.node.NodeSettings;
import baton.protocol.op.OpRegistry;
import com.typesafe.config.Config;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Baton in this JVM, as {@code baton run} starts it: a coordinator and a local worker pool in one actor system.
 * A small-heap workload runs in a child JVM with {@code -Xmx256m} instead ({@link SmallHeapRun}), one per run.
 */
final class EmbeddedContender implements Contender {

  private static final long POLL_MILLIS = 5;

  private final Path dir;
  private final HeapSampler heap;
  private Embedded baton;

  EmbeddedContender(Path dir, HeapSampler heap) {
    this.dir = dir;
    this.heap = heap;
  }

  @Override
  public String name() {
    return "baton";
  }

  @Override
  public Run run(Workload workload) throws Exception {
    if (workload.smallHeap()) {
      return runInChild(workload);
    }
    if (baton == null) {
      baton = start(dir.resolve("logs"));
    }
    heap.reset();
    long start = System.nanoTime();
    JobStatus status = runJob(baton, workload, Optional.empty());
    long nanos = System.nanoTime() - start;
    check(status, workload);
    return new Run(workload.items(), nanos, heap.peak(), "");
  }

  static Embedded start(Path logDir) {
    LogSetup.configure(logDir);
    Config config = BatonConfig.load(EmbeddedContender.class.getClassLoader());
    OpRegistry registry = OpRegistry.load(EmbeddedContender.class.getClassLoader(), config);
    return Embedded.start(config, registry, NodeSettings.from(config));
  }

  /** Submits the workload's spec and polls its status until it is final. */
  static JobStatus runJob(Embedded baton, Workload workload, Optional<Path> output) throws Exception {
    Coordinator.SubmitReply reply = baton.submit(workload.spec(output), workload.name() + ".conf",
        Path.of("").toAbsolutePath()).toCompletableFuture().get();
    if (!(reply instanceof Coordinator.Accepted accepted)) {
      throw new IllegalStateException("Baton did not take the " + workload.name() + " spec: " + reply);
    }
    String id = accepted.status().id();
    while (true) {
      JobStatus status = baton.status(id).toCompletableFuture().get()
          .orElseThrow(() -> new IllegalStateException("job " + id + " is gone"));
      if (status.state().isFinal()) {
        return status;
      }
      TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
    }
  }

  static void check(JobStatus status, Workload workload) {
    if (status.state() != JobState.SUCCEEDED || status.items().succeeded() != workload.items()) {
      throw new IllegalStateException("Baton's " + workload.name() + " job ended " + status.state() + " with "
          + status.items().succeeded() + " of " + workload.items() + " items: " + status.error());
    }
  }

  private Run runInChild(Workload workload) throws Exception {
    Path output = dir.resolve(workload.name() + "-embedded.tsv");
    Path gcLog = dir.resolve(workload.name() + "-embedded-gc.log");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + Workload.BIG_HEAP_MB + "m", "-Xlog:gc:file=" + gcLog,
        "-cp", System.getProperty("java.class.path")));
    for (String property : List.of("config.file", "logback.configurationFile")) {
      String value = System.getProperty(property);
      if (value != null) {
        command.add("-D" + property + "=" + value);
      }
    }
    command.addAll(List.of(SmallHeapRun.class.getName(), workload.name(), Long.toString(workload.items()),
        output.toString(), dir.resolve("logs-" + workload.name()).toString()));
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader reader = new BufferedReader(
        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        lines.add(line);
      }
    } finally {
      if (!child.waitFor(1, TimeUnit.MINUTES)) {
        child.destroyForcibly();
      }
    }
    Optional<String> result = lines.stream().filter(line -> line.startsWith(SmallHeapRun.RESULT)).findFirst();
    if (child.exitValue() != 0 || result.isEmpty()) {
      throw new IllegalStateException("the " + workload.name() + " run in a " + Workload.BIG_HEAP_MB
          + " MB heap failed (exit " + child.exitValue() + "):\n" + String.join("\n", lines));
    }
    SmallHeapRun.Result parsed = SmallHeapRun.Result.parse(result.get());
    Files.deleteIfExists(output);
    return new Run(parsed.items(), parsed.nanos(), parsed.peakHeapBytes(), parsed.note());
  }

  @Override
  public void close() {
    if (baton != null) {
      baton.close();
    }
  }

  static long countLines(Path file) throws IOException {
    long lines = 0;
    byte[] buffer = new byte[1 << 16];
    try (var in = Files.newInputStream(file)) {
      for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
        for (int i = 0; i < read; i++) {
          if (buffer[i] == '\n') {
            lines++;
          }
        }
      }
    }
    return lines;
  }
}
