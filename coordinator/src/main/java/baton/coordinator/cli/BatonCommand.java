package baton.coordinator.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The root {@code baton} command. */
@Command(name = "baton",
    mixinStandardHelpOptions = true,
    versionProvider = BatonCommand.Version.class,
    description = "Baton: an actor-based job processor on Apache Pekko.",
    subcommands = {RunCommand.class, CoordinatorCommand.class, NodeCommand.class, SubmitCommand.class,
        StatusCommand.class, ListCommand.class, CancelCommand.class, LogsCommand.class, NodesCommand.class,
        CommandLine.HelpCommand.class})
public final class BatonCommand implements Runnable {

  @Spec
  CommandSpec spec;

  /** The command line with Baton's error handling: one clear line, never a stack trace. */
  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new BatonCommand());
    commandLine.setExecutionExceptionHandler((error, cmd, parsed) -> {
      PrintWriter err = cmd.getErr();
      err.println("baton: " + (error.getMessage() == null ? error.toString() : error.getMessage()));
      err.flush();
      return ExitCodes.FAILED;
    });
    return commandLine;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
  }

  /** Reads the version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = BatonCommand.class.getPackage().getImplementationVersion();
      return new String[] {"baton " + (version == null ? "(development build)" : version),
          "Java " + System.getProperty("java.version") + " on " + System.getProperty("os.name")};
    }
  }
}
