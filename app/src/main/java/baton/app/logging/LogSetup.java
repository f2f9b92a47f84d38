package baton.app.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Path;
import java.util.Iterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Points Logback at a log folder once the command line has been read: {@code DIR/baton.log} (or the name given)
 * for the process, {@code DIR/jobs/<job id>.log} for each job. The configuration is {@code conf/logback.xml}
 * (bin/baton passes it as {@code logback.configurationFile}), else the copy in the jar.
 */
public final class LogSetup {

  /** The property {@code logback.xml} reads the log folder from. */
  public static final String LOG_DIR_PROPERTY = "baton.log.dir";
  /** The property {@code logback.xml} reads the process log's file name from (default baton.log). */
  public static final String LOG_FILE_PROPERTY = "baton.log.file";

  private LogSetup() {
  }

  /** Points Logback at the log folder, with the process's log file named {@code logFile} (not baton.log). */
  public static void configure(Path logDir, String logFile) {
    System.setProperty(LOG_FILE_PROPERTY, logFile);
    configure(logDir);
  }

  public static void configure(Path logDir) {
    System.setProperty(LOG_DIR_PROPERTY, logDir.toAbsolutePath().toString());
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    URL config = configuration();
    if (config == null || alreadyWritesTo(context, logDir)) {
      return;
    }
    context.reset();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(config);
    } catch (JoranException e) {
      System.err.println("baton: cannot read the logging setup " + config + ": " + e.getMessage());
    }
  }

  /**
   * Flushes and closes every log file. The last thing before the process exits: System.exit alone does not stop
   * Logback, and a line still on its way would be lost. A process that never set up its logs (a client command) has
   * none to close, and asking for them would start Logback, whose set-up costs a client command a fifth of its time.
   */
  public static void stop() {
    if (System.getProperty(LOG_DIR_PROPERTY) != null
        && LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.stop();
    }
  }

  /**
   * Whether Logback writes this folder's process log already. Asked first (above), Logback sets itself up from the
   * same file, with the folder's properties just set; a second set-up, XML and all, cost a tenth of a second of
   * every start. Another set-up (the tests', or one made before the folder was known) writes elsewhere.
   */
  private static boolean alreadyWritesTo(LoggerContext context, Path logDir) {
    String processLog = logDir.toAbsolutePath().resolve(System.getProperty(LOG_FILE_PROPERTY, "baton.log"))
        .toString();
    Iterator<Appender<ILoggingEvent>> appenders = context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
    while (appenders.hasNext()) {
      if (appenders.next() instanceof FileAppender<ILoggingEvent> file && processLog.equals(file.getFile())) {
        return true;
      }
    }
    return false;
  }

  private static URL configuration() {
    String file = System.getProperty("logback.configurationFile");
    if (file != null && !file.isBlank()) {
      try {
        return Path.of(file).toUri().toURL();
      } catch (MalformedURLException | RuntimeException e) {
        return null;
      }
    }
    return LogSetup.class.getClassLoader().getResource("logback.xml");
  }
}
