package baton.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/baton's start-up flags: the class-data archive only for the java that made it from this jar, and a quick JIT
 * and GC for client commands; JAVA_OPTS comes last and wins. A stand-in {@code java} on the PATH prints what it got.
 */
final class LauncherStartupTest {

  private static final Instant MADE = Instant.parse("2026-01-02T00:00:00Z");

  @TempDir
  Path dir;

  private Path home;
  private Path jdk;
  private Path archive;

  @BeforeEach
  void install() throws IOException {
    home = dir.resolve("baton");
    jdk = dir.resolve("jdk");
    Path bin = Files.createDirectories(home.resolve("bin"));
    Files.copy(Path.of("..", "bin", "baton"), bin.resolve("baton"), StandardCopyOption.COPY_ATTRIBUTES);
    Path target = Files.createDirectories(home.resolve("app/target"));
    Path java = Files.createDirectories(jdk.resolve("bin")).resolve("java");
    Files.writeString(java, "#!/bin/sh\nprintf '%s\\n' \"$@\"\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path modules = Files.createDirectories(jdk.resolve("lib")).resolve("modules");
    Files.writeString(modules, "");
    Path jar = Files.writeString(target.resolve("baton.jar"), "");
    archive = Files.writeString(target.resolve("baton.jsa"), "");
    Files.writeString(target.resolve("baton.jsa.java"), jdk.toString());
    Files.setLastModifiedTime(modules, FileTime.from(MADE.minusSeconds(3600)));
    Files.setLastModifiedTime(jar, FileTime.from(MADE.minusSeconds(10)));
    Files.setLastModifiedTime(archive, FileTime.from(MADE));
  }

  @Test
  void list_archiveMadeByThisJavaFromThisJar_passesItWithTheClientJitAndGc() throws Exception {
    List<String> args = launch("", "list");

    assertTrue(args.contains("-XX:SharedArchiveFile=" + archive), args.toString());
    assertTrue(args.contains("-XX:TieredStopAtLevel=1"), args.toString());
    assertTrue(args.contains("-XX:+UseSerialGC"), args.toString());
  }

  @Test
  void list_archiveMadeByAnotherJava_leavesItOut() throws Exception {
    Files.writeString(home.resolve("app/target/baton.jsa.java"), dir.resolve("other-jdk").toString());

    List<String> args = launch("", "list");

    assertFalse(args.stream().anyMatch(arg -> arg.contains("SharedArchiveFile")), args.toString());
    assertTrue(args.contains("-XX:TieredStopAtLevel=1"), args.toString());
  }

  @Test
  void list_javaUpdatedAfterTheArchive_leavesItOut() throws Exception {
    Files.setLastModifiedTime(jdk.resolve("lib/modules"), FileTime.from(MADE.plusSeconds(60)));

    List<String> args = launch("", "list");

    assertFalse(args.stream().anyMatch(arg -> arg.contains("SharedArchiveFile")), args.toString());
  }

  @Test
  void list_jarNewerThanTheArchive_leavesItOut() throws Exception {
    Files.setLastModifiedTime(home.resolve("app/target/baton.jar"), FileTime.from(MADE.plusSeconds(60)));

    List<String> args = launch("", "list");

    assertFalse(args.stream().anyMatch(arg -> arg.contains("SharedArchiveFile")), args.toString());
  }

  @Test
  void run_archive_passesItButKeepsTheFullJitAndNoClientGc() throws Exception {
    List<String> args = launch("", "run", "job.conf");

    assertTrue(args.contains("-XX:SharedArchiveFile=" + archive), args.toString());
    assertFalse(args.contains("-XX:TieredStopAtLevel=1"), args.toString());
    assertFalse(args.contains("-XX:+UseSerialGC"), args.toString());
    assertEquals(List.of("run", "job.conf"), args.subList(args.size() - 2, args.size()));
  }

  @Test
  void node_archiveOfItsRoleMadeByThisJava_passesThatArchiveInsteadOfRuns() throws Exception {
    Path nodeArchive = roleArchive("node", jdk);

    List<String> args = launch("", "node", "--seed", "127.0.0.1:2551");

    assertTrue(args.contains("-XX:SharedArchiveFile=" + nodeArchive), args.toString());
    assertEquals(1, args.stream().filter(arg -> arg.contains("SharedArchiveFile")).count(), args.toString());
  }

  @Test
  void coordinator_archiveOfItsRoleMadeByThisJava_passesThatArchiveInsteadOfRuns() throws Exception {
    Path coordinatorArchive = roleArchive("coordinator", jdk);
    roleArchive("node", jdk);

    List<String> args = launch("", "coordinator");

    assertTrue(args.contains("-XX:SharedArchiveFile=" + coordinatorArchive), args.toString());
    assertEquals(1, args.stream().filter(arg -> arg.contains("SharedArchiveFile")).count(), args.toString());
  }

  @Test
  void node_archiveOfItsRoleMadeByAnotherJava_fallsBackToRunsArchive() throws Exception {
    roleArchive("node", dir.resolve("other-jdk"));

    List<String> args = launch("", "node");

    assertTrue(args.contains("-XX:SharedArchiveFile=" + archive), args.toString());
    assertEquals(1, args.stream().filter(arg -> arg.contains("SharedArchiveFile")).count(), args.toString());
  }

  @Test
  void run_archivesOfTheRolesPresent_keepsRunsArchive() throws Exception {
    roleArchive("coordinator", jdk);
    roleArchive("node", jdk);

    List<String> args = launch("", "run", "job.conf");

    assertTrue(args.contains("-XX:SharedArchiveFile=" + archive), args.toString());
  }

  /** An archive the build's training made for {@code role} (target/baton-ROLE.jsa), by the java at {@code by}. */
  private Path roleArchive(String role, Path by) throws IOException {
    Path made = Files.writeString(home.resolve("app/target/baton-" + role + ".jsa"), "");
    Files.writeString(home.resolve("app/target/baton-" + role + ".jsa.java"), by.toString());
    Files.setLastModifiedTime(made, FileTime.from(MADE));
    return made;
  }

  @Test
  void list_javaOptsWithItsOwnGcAndNoSharing_winWithoutAClash() throws Exception {
    List<String> args = launch("-XX:+UseParallelGC -Xshare:off -XX:TieredStopAtLevel=4", "list");

    assertFalse(args.contains("-XX:+UseSerialGC"), args.toString());
    assertFalse(args.stream().anyMatch(arg -> arg.contains("SharedArchiveFile")), args.toString());
    assertTrue(args.indexOf("-XX:TieredStopAtLevel=4") > args.indexOf("-XX:TieredStopAtLevel=1"), args.toString());
  }

  /** Runs the copied bin/baton with the stand-in java first on the PATH; answers the arguments java got. */
  private List<String> launch(String javaOpts, String... command) throws Exception {
    List<String> line = new ArrayList<>(List.of("bash", home.resolve("bin/baton").toString()));
    line.addAll(List.of(command));
    ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.put("PATH", jdk.resolve("bin") + ":/usr/bin:/bin");
    env.put("JAVA_OPTS", javaOpts);
    Process process = builder.start();
    String printed = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "bin/baton did not end");
    assertEquals(0, process.exitValue(), printed);
    return printed.lines().toList();
  }
}
