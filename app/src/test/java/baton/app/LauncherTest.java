package baton.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/baton's JVM options per role. The launcher runs from a copy of the installation whose jar is up to date, with
 * a stand-in {@code java} on the PATH that records its arguments; the JVM options it got are then given to the real
 * JVM, which says what it made of them.
 */
final class LauncherTest {

  private static final Path LAUNCHER = Path.of("..", "bin", "baton").toAbsolutePath().normalize();
  private static final long MB = 1024 * 1024;

  @TempDir
  Path home;

  @Test
  void node_withoutJavaOpts_getsASmallHeapAndTheSerialCollector() throws Exception {
    Map<String, String> flags = jvmFlags(launch("", "node", "--workers", "1"));
    assertEquals(256 * MB, Long.parseLong(flags.get("MaxHeapSize")));
    assertEquals("true", flags.get("UseSerialGC"));
  }

  @Test
  void node_withoutJavaOpts_getsAYoungGenerationThatHoldsItsBatches() throws Exception {
    // Batches in flight must fit in a survivor space: promoted, they filled the old generation and cost full
    // collections of 100 to 400 ms (README, Sizing a process).
    Map<String, String> flags = jvmFlags(launch("", "node"));
    assertEquals(24 * MB, Long.parseLong(flags.get("NewSize")));
    assertEquals(24 * MB, Long.parseLong(flags.get("MaxNewSize")));
    assertEquals("4", flags.get("SurvivorRatio"));
    assertEquals(40 * MB, Long.parseLong(flags.get("InitialHeapSize")));
  }

  @Test
  void node_javaOptsYoungGeneration_replacesTheRolesHeap() throws Exception {
    List<String> options = launch("-Xmn8m", "node");
    Map<String, String> flags = jvmFlags(options);
    assertEquals(8 * MB, Long.parseLong(flags.get("NewSize")));
    assertTrue(options.stream().noneMatch(option -> option.startsWith("-Xms")), options.toString());
  }

  @Test
  void coordinator_withoutJavaOpts_getsItsHeapAndG1() throws Exception {
    Map<String, String> flags = jvmFlags(launch("", "coordinator", "--port", "0"));
    assertEquals(512 * MB, Long.parseLong(flags.get("MaxHeapSize")));
    assertEquals("true", flags.get("UseG1GC"));
  }

  @Test
  void node_javaOptsHeapAndFlags_winOverTheRoles() throws Exception {
    List<String> options = launch("-Xmx300m -XX:MetaspaceSize=200m", "node");
    Map<String, String> flags = jvmFlags(options);
    assertEquals(300 * MB, Long.parseLong(flags.get("MaxHeapSize")));
    assertEquals(200 * MB, Long.parseLong(flags.get("MetaspaceSize")));
    assertTrue(options.contains("-XX:+UseSerialGC"), options.toString());
    assertTrue(options.indexOf("-Xmx300m") > options.indexOf("-XX:+UseSerialGC"), options.toString());
  }

  @Test
  void node_javaOptsCollector_replacesTheRolesCollector() throws Exception {
    // Two collectors would stop the JVM from starting at all.
    Map<String, String> flags = jvmFlags(launch("-XX:+UseParallelGC", "node"));
    assertEquals("true", flags.get("UseParallelGC"));
    assertEquals("false", flags.get("UseSerialGC"));
    assertEquals(256 * MB, Long.parseLong(flags.get("MaxHeapSize")));
  }

  @Test
  void node_javaOptsInitialHeapAboveTheRolesMaximum_starts() throws Exception {
    Map<String, String> flags = jvmFlags(launch("-Xms300m", "node"));
    assertEquals(300 * MB, Long.parseLong(flags.get("InitialHeapSize")));
  }

  @Test
  void run_withoutJavaOpts_getsTheParallelCollectorAndTheJvmsHeap() throws Exception {
    List<String> options = launch("", "run", "job.conf");
    assertEquals("true", jvmFlags(options).get("UseParallelGC"));
    assertEquals(List.of(), options.stream()
        .filter(option -> option.startsWith("-Xm") || option.startsWith("-XX:MetaspaceSize")).toList());
  }

  @Test
  void run_javaOptsCollector_replacesTheParallelCollector() throws Exception {
    Map<String, String> flags = jvmFlags(launch("-XX:+UseG1GC", "run", "job.conf"));
    assertEquals("true", flags.get("UseG1GC"));
    assertEquals("false", flags.get("UseParallelGC"));
  }

  @Test
  void run_withoutJavaOpts_getsC2FourTimesLater() throws Exception {
    Map<String, String> flags = jvmFlags(launch("", "run", "job.conf"));
    assertEquals("20000", flags.get("Tier4InvocationThreshold"));
    assertEquals("2400", flags.get("Tier4MinInvocationThreshold"));
    assertEquals("60000", flags.get("Tier4CompileThreshold"));
    assertEquals("160000", flags.get("Tier4BackEdgeThreshold"));
  }

  @Test
  void run_withoutJavaOpts_compilesLoopsAfterATenthOfTheBackEdgeCount() throws Exception {
    assertEquals("6000", jvmFlags(launch("", "run", "job.conf")).get("Tier3BackEdgeThreshold"));
  }

  @Test
  void run_javaOptsC2Threshold_winsOverTheRoles() throws Exception {
    Map<String, String> flags = jvmFlags(launch("-XX:Tier4InvocationThreshold=9000", "run", "job.conf"));
    assertEquals("9000", flags.get("Tier4InvocationThreshold"));
  }

  @Test
  void clientCommand_withJavaOpts_getsThoseAndNoRoleOptions() throws Exception {
    List<String> options = launch("-Xmx100m", "status", "some-job");
    // Client commands get start-up flags (LauncherStartupTest), but no role's heap or metaspace.
    assertEquals(List.of("-Xmx100m"), options.stream()
        .filter(option -> option.startsWith("-Xm") || option.startsWith("-XX:MetaspaceSize")).toList());
  }

  /** Runs the launcher with the given JAVA_OPTS and returns the JVM options it passed, up to {@code -jar}. */
  private List<String> launch(String javaOpts, String... args) throws Exception {
    Path bin = Files.createDirectories(home.resolve("bin"));
    Files.copy(LAUNCHER, bin.resolve("baton"));
    Files.createDirectories(home.resolve("app/target"));
    Files.writeString(home.resolve("app/target/baton.jar"), "");
    Path stub = Files.createDirectories(home.resolve("stub")).resolve("java");
    Path recorded = home.resolve("java-args");
    Files.writeString(stub, "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + recorded + "'\n");
    Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));

    List<String> command = new ArrayList<>(List.of("bash", bin.resolve("baton").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("PATH", stub.getParent() + ":" + System.getenv("PATH"));
    builder.environment().put("JAVA_OPTS", javaOpts);
    String output = run(builder);
    List<String> passed = Files.readAllLines(recorded);
    assertTrue(passed.contains("-jar"), output + passed);
    return passed.subList(0, passed.indexOf("-jar"));
  }

  /** The real JVM's final flags for the given options. */
  private static Map<String, String> jvmFlags(List<String> options) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString()));
    command.addAll(options);
    command.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
    String output = run(new ProcessBuilder(command).redirectErrorStream(true));
    Map<String, String> flags = new HashMap<>();
    Matcher matcher = Pattern.compile("(?m)^\\s*\\S+\\s+(\\w+)\\s+:?=\\s+(\\S+)").matcher(output);
    while (matcher.find()) {
      flags.put(matcher.group(1), matcher.group(2));
    }
    assertTrue(flags.containsKey("MaxHeapSize"), output);
    return flags;
  }

  private static String run(ProcessBuilder builder) throws IOException, InterruptedException {
    Process process = builder.start();
    try {
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "still running: " + builder.command());
      assertEquals(0, process.exitValue(), builder.command() + "\n" + output);
      return output;
    } finally {
      process.destroyForcibly();
    }
  }
}
