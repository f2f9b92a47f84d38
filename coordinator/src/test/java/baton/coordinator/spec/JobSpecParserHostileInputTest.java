package baton.coordinator.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.spec.JobSpec;
import baton.protocol.spec.SpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Specs written to hurt: includes, deep nesting, absurd numbers, substitutions. Each ends in a SpecException. */
final class JobSpecParserHostileInputTest {

  @TempDir
  Path dir;

  private JobSpecParser parser;

  @BeforeEach
  void setUp() {
    parser = TestParsers.under(dir);
  }

  private SpecException rejected(String spec) {
    return assertThrows(SpecException.class, () -> parser.parse(spec, "spec.conf", dir));
  }

  private static String job(String extra) {
    return "input.range { from = 1, to = 10 }\nstages = [ { op = sha256 } ]\n" + extra;
  }

  @Test
  void include_ofFile_isRefusedWithoutReadingIt() throws IOException {
    Path secret = Files.writeString(dir.resolve("secret.conf"), "name = \"the secret\"\n");
    SpecException e = rejected(job("include file(\"" + secret + "\")"));
    assertTrue(e.getMessage().contains("include is not allowed"), e.getMessage());
    assertTrue(!e.getMessage().contains("the secret"), e.getMessage());
  }

  @Test
  void include_ofUrlClasspathOrBareName_isRefused() {
    for (String include : new String[] {"url(\"http://127.0.0.1:9/x.conf\")", "classpath(\"reference.conf\")",
        "\"reference.conf\"", "required(file(\"/etc/hostname\"))"}) {
      SpecException e = rejected(job("include " + include));
      assertTrue(e.getMessage().contains("include is not allowed"), include + ": " + e.getMessage());
    }
  }

  @Test
  void nesting_ofObjects_isRejectedWithTheLimit() {
    int levels = 50_000;
    SpecException e = rejected(job("x = " + "{a = ".repeat(levels) + "1" + "}".repeat(levels)));
    assertTrue(e.getMessage().contains("baton.job.max-nesting"), e.getMessage());
    assertTrue(e.getMessage().startsWith("spec.conf:3:"), e.getMessage());
  }

  @Test
  void nesting_ofListsUnclosed_isRejected() {
    SpecException e = rejected(job("x = " + "[".repeat(200_000)));
    assertTrue(e.getMessage().contains("baton.job.max-nesting"), e.getMessage());
  }

  @Test
  void nesting_ofDottedKeys_isRejected() {
    SpecException e = rejected(job("a" + ".a".repeat(100_000) + " = 1"));
    assertTrue(e.getMessage().contains("baton.job.max-nesting"), e.getMessage());
    SpecException quoted = rejected(job("\"a\"" + ".\"a\"".repeat(100_000) + " = 1"));
    assertTrue(quoted.getMessage().contains("baton.job.max-nesting"), quoted.getMessage());
  }

  @Test
  void nesting_insideStringsAndComments_doesNotCount() {
    String spec = "name = \"" + "{[".repeat(100) + "\"\n# " + "[[[[.....".repeat(50) + "\n"
        + "input.range { from = 1, to = 10 }\nstages = [ { op = grep, pattern = \"" + "\\\\{".repeat(60) + "\" } ]";
    assertEquals(10, parser.parse(spec, "spec.conf", dir).input().size().orElseThrow());
  }

  @Test
  void range_withHugeNumbers_isRejectedNotClamped() {
    SpecException e = rejected("input.range { from = 1e30, to = 1e30 }\nstages = [ { op = sha256 } ]");
    assertTrue(e.getMessage().contains("whole number"), e.getMessage());
    SpecException digits = rejected("input.range { from = 1, to = 99999999999999999999999 }\n"
        + "stages = [ { op = sha256 } ]");
    assertTrue(digits.getMessage().contains("whole number"), digits.getMessage());
  }

  @Test
  void range_withToBelowFrom_isRejected() {
    SpecException e = rejected("input.range { from = 10, to = 1 }\nstages = [ { op = sha256 } ]");
    assertTrue(e.getMessage().contains("less than from"), e.getMessage());
  }

  @Test
  void range_aboveMaxItems_isRejected() {
    SpecException e = rejected("input.range { from = -9223372036854775808, to = 9223372036854775807 }\n"
        + "stages = [ { op = sha256 } ]");
    assertTrue(e.getMessage().contains("baton.job.max-items"), e.getMessage());
  }

  @Test
  void opParameter_withHugeNumber_isRejected() {
    SpecException e = rejected("input.range { from = 1, to = 2 }\nstages = [ { op = delay, millis = 1e300 } ]");
    assertTrue(e.getMessage().contains("whole number"), e.getMessage());
  }

  @Test
  void substitution_ofEnvironment_isRejected() {
    SpecException e = rejected(job("name = ${?HOME}"));
    assertTrue(e.getMessage().contains("substitutions"), e.getMessage());
  }

  @Test
  void substitution_bomb_isRejectedBeforeExpanding() {
    StringBuilder spec = new StringBuilder(job("a0 = \"" + "x".repeat(1000) + "\"\n"));
    for (int i = 1; i <= 12; i++) {
      spec.append("a").append(i).append(" = ").append(("${a" + (i - 1) + "}").repeat(10)).append('\n');
    }
    SpecException e = rejected(spec.toString());
    assertTrue(e.getMessage().contains("substitutions"), e.getMessage());
  }

  @Test
  void longConcatenationsAndMerges_endInSpecOrSpecException() {
    for (String piece : new String[] {"x ", "[1] ", "{ a = 1 } ", "\"s\" "}) {
      String spec = job("x = " + piece.repeat(5_000));
      try {
        parser.parse(spec, "spec.conf", dir);
      } catch (SpecException expected) {
        assertTrue(expected.getMessage().startsWith("spec.conf"), expected.getMessage());
      }
    }
    String merges = job("x { a = 1 }\n".repeat(5_000));
    assertThrows(SpecException.class, () -> parser.parse(merges, "spec.conf", dir));
  }

  @Test
  void sourceName_thatIsNoValidPath_stillNamesTheJob() {
    JobSpec spec = parser.parse(job(""), "we\u0000ird/na:me.conf", dir);
    assertEquals("na:me", spec.name());
  }
}
