package baton.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution archive {@code mvn package} makes runs on a machine with only a Java runtime: unpacked, its
 * {@code bin/baton} runs the example job from {@code jars/baton.jar} and never calls Maven.
 */
final class DistIT {

  @TempDir
  Path dir;

  @Test
  void dist_unpackedWithoutMaven_runsTheExampleJob() throws Exception {
    Path home = DistArchive.unpack(dir);
    for (String part : List.of("bin/baton", "jars/baton.jar", "conf/baton.conf", "conf/logback.xml",
        "examples/checksums.conf", "examples/data/actors.txt", "README.md")) {
      assertTrue(Files.isRegularFile(home.resolve(part)), "the archive lacks " + part);
    }
    for (String source : List.of("pom.xml", "app", "coordinator", "examples/out", "lib")) {
      assertFalse(Files.exists(home.resolve(source)), "the archive holds " + source);
    }
    assertTrue(Files.getPosixFilePermissions(home.resolve("bin/baton")).contains(PosixFilePermission.OWNER_EXECUTE));

    // A `mvn` first on the PATH that leaves a mark: the launcher of an archive must never build.
    Path fakeBin = Files.createDirectories(dir.resolve("fake-bin"));
    Path marker = dir.resolve("mvn-was-called");
    Path mvn = fakeBin.resolve("mvn");
    Files.writeString(mvn, "#!/bin/sh\ntouch '" + marker + "'\nexit 1\n");
    mvn.toFile().setExecutable(true);
    Path javaBin = Path.of(System.getProperty("java.home"), "bin");
    Map<String, String> env = Map.of("PATH", fakeBin + ":" + javaBin + ":/usr/bin:/bin");

    TestHosts.Result run = TestHosts.run(
        List.of(home.resolve("bin/baton").toString(), "run", "examples/checksums.conf", "--quiet"),
        home, env);
    assertEquals(0, run.exit(), run.output());
    assertFalse(Files.exists(marker), "bin/baton of the archive called mvn: " + run.output());
    List<String> sums = Files.readAllLines(home.resolve("examples/out/sums.tsv"));
    long inputs;
    try (Stream<Path> data = Files.list(home.resolve("examples/data"))) {
      inputs = data.filter(p -> p.toString().endsWith(".txt")).count();
    }
    assertEquals(inputs, sums.size(), "one checksum per example file: " + sums);

    TestHosts.Result bench = TestHosts.run(
        List.of(home.resolve("bin/baton").toString(), "bench", "--quick"), home, env);
    assertEquals(2, bench.exit(), bench.output());
    assertTrue(bench.output().contains("not part of the distribution archive"), bench.output());
  }
}
