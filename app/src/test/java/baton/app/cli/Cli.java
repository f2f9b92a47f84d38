package baton.app.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** Runs {@code baton} commands in this JVM as {@code main} would, with stdout and stderr captured. */
public final class Cli {

  /** What a command printed and the exit code it returned. */
  public record Run(int code, String out, String err) {
    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  /** For test classes that run commands: puts back logback-test.xml once the class's tests are done. */
  static final class RestoresTestLogging implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) throws Exception {
      restoreTestLogging();
    }
  }

  private Cli() {
  }

  public static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = BatonCommand.commandLine();
    commandLine.setOut(new PrintWriter(out));
    commandLine.setErr(new PrintWriter(err));
    int code = commandLine.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  /**
   * {@code baton run} points Logback at conf/logback.xml and its --log-dir, as in production; this puts back
   * logback-test.xml for the tests that follow.
   */
  static void restoreTestLogging() throws Exception {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    new ContextInitializer(context).autoConfig();
  }
}
