package baton.app.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggerContextListener;
import ch.qos.logback.classic.util.ContextInitializer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Logback is set up once for a log folder: Logback sets itself up from the same file when first asked (with the
 * folder's property already set), and doing it again cost {@code baton run} a tenth of a second.
 */
final class LogSetupTest {

  @TempDir
  Path dir;

  private final List<String> resets = new ArrayList<>();

  @AfterEach
  void restoreTestLogging() throws Exception {
    System.clearProperty(LogSetup.LOG_DIR_PROPERTY);
    System.clearProperty(LogSetup.LOG_FILE_PROPERTY);
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    new ContextInitializer(context).autoConfig();
  }

  @Test
  void configure_sameFolderAgain_keepsTheSetUpWithoutAReset() throws Exception {
    LogSetup.configure(dir.resolve("logs"), "first.log");
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.addListener(new Resets());

    LogSetup.configure(dir.resolve("logs"), "first.log");
    List<String> resetsByConfigure = List.copyOf(resets);
    LoggerFactory.getLogger(LogSetupTest.class).info("one line");
    LogSetup.stop();

    assertEquals(List.of(), resetsByConfigure);
    assertTrue(Files.readString(dir.resolve("logs/first.log")).contains("one line"));
  }

  @Test
  void configure_anotherFolder_setsUpAgainThere() throws Exception {
    LogSetup.configure(dir.resolve("logs"), "first.log");
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.addListener(new Resets());

    LogSetup.configure(dir.resolve("other"), "first.log");
    List<String> resetsByConfigure = List.copyOf(resets);
    LoggerFactory.getLogger(LogSetupTest.class).info("one line");
    LogSetup.stop();

    assertEquals(List.of("reset"), resetsByConfigure);
    assertTrue(Files.readString(dir.resolve("other/first.log")).contains("one line"));
  }

  private final class Resets implements LoggerContextListener {
    @Override
    public boolean isResetResistant() {
      return false;
    }

    @Override
    public void onStart(LoggerContext context) {
    }

    @Override
    public void onReset(LoggerContext context) {
      resets.add("reset");
    }

    @Override
    public void onStop(LoggerContext context) {
    }

    @Override
    public void onLevelChange(Logger logger, Level level) {
    }
  }
}
