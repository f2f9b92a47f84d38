package baton.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The distribution archive the build made ({@code baton.dist}), unpacked for a test. */
final class DistArchive {

  private DistArchive() {
  }

  /** Unpacks the archive into the folder and returns its {@code baton-VERSION} folder. */
  static Path unpack(Path into) throws Exception {
    Path archive = Path.of(System.getProperty("baton.dist", "target/baton-dist.tar.gz")).toAbsolutePath();
    assertTrue(Files.isRegularFile(archive), "no distribution archive at " + archive + "; `mvn package` makes it");
    TestHosts.Result tar = TestHosts.run(List.of("tar", "-xzf", archive.toString(), "-C", into.toString()));
    assertEquals(0, tar.exit(), "tar could not unpack " + archive + ": " + tar.output());
    try (Stream<Path> entries = Files.list(into)) {
      return entries.filter(p -> p.getFileName().toString().startsWith("baton-") && Files.isDirectory(p))
          .findFirst().orElseThrow(() -> new AssertionError("the archive has no baton-VERSION folder at its top"));
    }
  }
}
