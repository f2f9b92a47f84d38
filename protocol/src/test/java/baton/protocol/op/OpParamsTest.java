package baton.protocol.op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.spec.SpecException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

final class OpParamsTest {

  private static final String TEXT = """
      count = 7
      big = 5000000000
      words = "seven"
      blank = "  "
      size = 64KiB
      wait = 250ms
      file = "data/../in.txt"
      """;
  private static final Path BASE = Path.of("/specs/here");

  private final OpParams params = params(TEXT);

  @Test
  void has_presentAndAbsent_answersFromSpec() {
    assertTrue(params.has("count"));
    assertFalse(params.has("nothing"));
  }

  @Test
  void getInt_inRange_returnsValue() {
    assertEquals(7, params.getInt("count", 1, 10));
    assertEquals(7, params.getInt("count", 7, 7));
  }

  @Test
  void getInt_outOfRange_namesParameterRangeAndLine() {
    SpecException e = assertThrows(SpecException.class, () -> params.getInt("count", 8, 10));

    assertEquals("spec.conf:" + line("count") + ": op test: count must be between 8 and 10, got 7", e.getMessage());
  }

  @Test
  void getInt_valueBeyondInt_isOutOfRangeNotTruncated() {
    SpecException e = assertThrows(SpecException.class, () -> params.getInt("big", 1, Integer.MAX_VALUE));

    assertTrue(e.getMessage().endsWith("got 5000000000"), e.getMessage());
  }

  @Test
  void getInt_wrongType_namesParameterAndLine() {
    SpecException e = assertThrows(SpecException.class, () -> params.getInt("words", 1, 10));

    assertTrue(e.getMessage().startsWith("spec.conf:" + line("words") + ": op test: words: "), e.getMessage());
  }

  @Test
  void getInt_missing_pointsAtTheStage() {
    SpecException e = assertThrows(SpecException.class, () -> params.getInt("nothing", 1, 10));

    assertEquals("stage-origin:3: op test: missing parameter nothing", e.getMessage());
  }

  @Test
  void getBytes_withUnit_isBytes() {
    assertEquals(64 * 1024, params.getBytes("size", 1, 1 << 20));
  }

  @Test
  void getBytes_outOfRange_saysBytes() {
    SpecException e = assertThrows(SpecException.class, () -> params.getBytes("size", 1, 1024));

    assertTrue(e.getMessage().endsWith("size must be between 1 and 1024 bytes, got " + 64 * 1024), e.getMessage());
  }

  @Test
  void getString_blank_isRejected() {
    assertEquals("seven", params.getString("words"));
    SpecException e = assertThrows(SpecException.class, () -> params.getString("blank"));

    assertTrue(e.getMessage().endsWith("op test: blank must not be empty"), e.getMessage());
  }

  @Test
  void getDuration_inAndOutOfRange() {
    assertEquals(Duration.ofMillis(250), params.getDuration("wait", Duration.ZERO, Duration.ofSeconds(1)));
    SpecException e = assertThrows(SpecException.class,
        () -> params.getDuration("wait", Duration.ofSeconds(1), Duration.ofSeconds(2)));

    assertTrue(e.getMessage().contains("wait must be between"), e.getMessage());
  }

  @Test
  void getPath_relative_resolvesAgainstBaseDirNormalized() {
    assertEquals(BASE.resolve("in.txt"), params.getPath("file"));
    assertEquals(BASE, params.baseDir());
    assertEquals("test", params.op());
  }

  private static OpParams params(String text) {
    Config config = ConfigFactory.parseString(text, ConfigParseOptions.defaults().setOriginDescription("spec.conf"));
    Config stage = ConfigFactory.parseString("\n\nstage = {}",
        ConfigParseOptions.defaults().setOriginDescription("stage-origin"));
    return new OpParams("test", config, BASE, stage.getValue("stage").origin(), IoRoots.of(List.of(BASE)));
  }

  private static int line(String key) {
    String[] lines = TEXT.split("\n");
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].startsWith(key + " ")) {
        return i + 1;
      }
    }
    throw new AssertionError(key);
  }
}
