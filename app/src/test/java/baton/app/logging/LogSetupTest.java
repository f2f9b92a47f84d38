package baton.app.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggerContextListener;
import ch.qos.logback.classic.util.ContextInitializer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

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

  @Test
  void jobLogs_linesOfManyJobs_eachJobsLinesInItsOwnFileWithFewFilesOpenAtOnce() throws Exception {
    assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "counts open files in /proc");
    LogSetup.configure(dir.resolve("logs"), "baton.log");
    org.slf4j.Logger log = LoggerFactory.getLogger("baton.coordinator.Job");
    int jobs = 100;
    for (int i = 0; i < jobs; i++) {
      MDC.put("jobId", "job-" + i);
      log.info("line of job {}", i);
      MDC.remove("jobId");
    }
    long open = openFilesUnder(dir.resolve("logs/jobs"));
    // Its file was closed for the others meanwhile: the line goes after the first one.
    MDC.put("jobId", "job-0");
    log.warn("another line of job 0");
    MDC.remove("jobId");
    LogSetup.stop();

    assertTrue(open <= 32, open + " job logs open after " + jobs + " jobs");
    for (int i = 1; i < jobs; i++) {
      List<String> lines = Files.readAllLines(dir.resolve("logs/jobs/job-" + i + ".log"));
      assertEquals(1, lines.size(), lines.toString());
      assertTrue(lines.get(0).endsWith("INFO  line of job " + i), lines.toString());
    }
    List<String> first = Files.readAllLines(dir.resolve("logs/jobs/job-0.log"));
    assertEquals(2, first.size(), first.toString());
    assertTrue(first.get(1).endsWith("WARN  another line of job 0"), first.toString());
    assertTrue(Files.readString(dir.resolve("logs/baton.log")).contains("[job-7]"), "the process log has them too");
  }

  /** How many files under {@code folder} this process holds open. */
  private static long openFilesUnder(Path folder) throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(fd -> {
        try {
          return Files.readSymbolicLink(fd).startsWith(folder);
        } catch (IOException | UnsupportedOperationException e) {
          return false;
        }
      }).count();
    }
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
