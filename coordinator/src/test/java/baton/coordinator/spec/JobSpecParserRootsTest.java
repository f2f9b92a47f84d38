package baton.coordinator.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import baton.protocol.op.IoRoots;
import baton.protocol.spec.JobSpec;
import baton.protocol.spec.SpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File paths in a spec must stay under baton.io.roots, however they try to leave. */
final class JobSpecParserRootsTest {

  @TempDir
  Path dir;

  private Path root;
  private Path outside;
  private JobSpecParser parser;

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectories(dir.resolve("root"));
    outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(root.resolve("in.txt"), "in\n");
    Files.writeString(outside.resolve("secret.txt"), "secret\n");
    parser = TestParsers.under(root);
  }

  private JobSpec parse(String spec) {
    return parser.parse(spec, "spec.conf", root);
  }

  private SpecException rejected(String spec) {
    SpecException e = assertThrows(SpecException.class, () -> parse(spec));
    assertTrue(e.getMessage().contains("baton.io.roots"), e.getMessage());
    return e;
  }

  private static String files(String glob) {
    return "input.files = \"" + glob + "\"\nstages = [ { op = read-file } ]\n";
  }

  private boolean link(Path link, Path target) {
    try {
      Files.createSymbolicLink(link, target);
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  @Test
  void inputFiles_insideRoot_parses() {
    JobSpec spec = parse(files("*.txt"));
    assertEquals(List.of(root.resolve("in.txt")), ((JobSpec.Files) spec.input()).files());
  }

  @Test
  void inputFiles_absoluteOutside_isRejected() {
    rejected(files(outside.resolve("secret.txt").toString()));
  }

  @Test
  void inputFiles_viaDotDot_isRejected() {
    rejected(files("../outside/secret.txt"));
    rejected(files("../outside/*.txt"));
  }

  @Test
  void inputFiles_globFromFileSystemRoot_isRejectedWithoutWalkingTheDisk() {
    rejected(files("/**/*.txt"));
  }

  @Test
  void inputFiles_viaSymlinkedFile_isRejected() {
    assumeTrue(link(root.resolve("innocent.txt"), outside.resolve("secret.txt")), "no symbolic links here");
    rejected(files("*.txt"));
  }

  @Test
  void inputLines_viaSymlinkedFolder_isRejected() {
    assumeTrue(link(root.resolve("data"), outside), "no symbolic links here");
    rejected("input.lines = \"data/secret.txt\"\nstages = [ { op = sha256 } ]\n");
  }

  @Test
  void output_outsideOrViaDotDot_isRejected() {
    String job = "input.range { from = 1, to = 2 }\nstages = [ { op = sha256 } ]\n";
    rejected(job + "output = \"../outside/out.tsv\"");
    rejected(job + "output = \"" + outside.resolve("deeper/out.tsv") + "\"");
    assertEquals(root.resolve("out/new/x.tsv"), parse(job + "output = \"out/new/x.tsv\"").output().orElseThrow());
  }

  @Test
  void output_throughDanglingSymlink_isRejected() {
    assumeTrue(link(root.resolve("out.tsv"), outside.resolve("created-by-baton.tsv")), "no symbolic links here");
    String job = "input.range { from = 1, to = 2 }\nstages = [ { op = sha256 } ]\n";
    SpecException e = assertThrows(SpecException.class, () -> parse(job + "output = \"out.tsv\""));
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
  }

  @Test
  void writeFileDir_outsideViaDotDotOrSymlink_isRejectedNamingTheOp() {
    SpecException e = rejected(files("*.txt").replace("{ op = read-file }",
        "{ op = read-file }, { op = write-file, dir = \"sub/../../outside\" }"));
    assertTrue(e.getMessage().contains("op write-file"), e.getMessage());
    assumeTrue(link(root.resolve("escape"), outside), "no symbolic links here");
    rejected(files("*.txt").replace("{ op = read-file }",
        "{ op = read-file }, { op = write-file, dir = \"escape/new\" }"));
  }

  @Test
  void roots_fromReferenceConf_areWorkingDirHomeAndTemp() {
    IoRoots roots = IoRoots.from(com.typesafe.config.ConfigFactory.load());
    for (String property : List.of("user.dir", "user.home", "java.io.tmpdir")) {
      Path inside = Path.of(System.getProperty(property), "some-file");
      assertEquals(inside.toAbsolutePath().normalize().getFileName(), roots.inside(inside).getFileName(), property);
    }
    assertThrows(IoRoots.OutsideRoots.class, () -> roots.inside(Path.of("/proc/self/environ")));
  }
}
