package baton.coordinator.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.spec.JobSpec;
import baton.protocol.spec.SpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spec's {@code errors} file is checked at submit as {@code output} is: one clear message, file and line. */
final class JobSpecParserErrorsTest {

  private static final String JOB = "input.range { from = 1, to = 3 }\nstages = [ { op = read-file } ]\n";

  @TempDir
  Path dir;

  private Path root;
  private JobSpecParser parser;

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectories(dir.resolve("root"));
    Files.createDirectories(dir.resolve("outside"));
    Files.createDirectories(root.resolve("out"));
    parser = TestParsers.under(root);
  }

  @Test
  void errors_relativePath_resolvedAgainstTheSpecsFolder() {
    JobSpec spec = parser.parse(JOB + "errors = \"out/failed.tsv\"\n", "spec.conf", root);

    assertEquals(Optional.of(root.resolve("out/failed.tsv")), spec.errors());
  }

  @Test
  void errors_notSet_empty() {
    assertEquals(Optional.empty(), parser.parse(JOB, "spec.conf", root).errors());
  }

  @Test
  void errors_outsideTheRootsAFolderOrTheOutput_rejectedNamingFileAndLine() {
    String outside = rejected(JOB + "errors = \"../outside/failed.tsv\"\n");
    assertTrue(outside.startsWith("spec.conf:3: errors: " + dir.resolve("outside/failed.tsv") + " is outside")
        && outside.contains("baton.io.roots"), outside);
    assertEquals("spec.conf:3: errors " + root.resolve("out") + " is a folder; name a file",
        rejected(JOB + "errors = out\n"));
    assertEquals("spec.conf:4: errors and output name the same file " + root.resolve("out/x.tsv"),
        rejected(JOB + "output = out/x.tsv\nerrors = out/x.tsv\n"));
    assertEquals("spec.conf:3: errors must not be empty", rejected(JOB + "errors = \"\"\n"));
  }

  private String rejected(String spec) {
    return assertThrows(SpecException.class, () -> parser.parse(spec, "spec.conf", root)).getMessage();
  }
}
