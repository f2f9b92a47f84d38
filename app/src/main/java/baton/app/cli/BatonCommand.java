package baton.app.cli;

import baton.protocol.op.Reasons;
import java.io.PrintWriter;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** The root {@code baton} command. */
@Command(name = "baton",
    mixinStandardHelpOptions = true,
    versionProvider = BatonCommand.Version.class,
    description = "Baton: an actor-based job processor on Apache Pekko.",
    subcommands = {RunCommand.class, CoordinatorCommand.class, NodeCommand.class, SubmitCommand.class,
        StatusCommand.class, ListCommand.class, CancelCommand.class, LogsCommand.class, NodesCommand.class,
        FailuresCommand.class, RerunCommand.class, BenchCommand.class, CertsCommand.class,
        CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:succeeded (submit without --wait: accepted)",
        "1:the job failed or was cancelled, or the command could not do what it was asked",
        "2:bad spec or usage, or no such job",
        "3:the coordinator is unreachable",
        "4:could not start: a port in use, the data dir locked",
        "75:baton coordinator: its journal was down longer than baton.journal.max-down, or the cluster downed it; "
            + "start it again",
        "130:baton run interrupted by Ctrl-C (143: by SIGTERM): the job was cancelled"})
public final class BatonCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  /** The command line with Baton's error handling: one clear line, never a stack trace. */
  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new BatonCommand());
    commandLine.setExecutionExceptionHandler((error, cmd, parsed) -> {
      PrintWriter err = cmd.getErr();
      err.println("baton: " + Reasons.text(error));
      err.flush();
      return ExitCodes.FAILED;
    });
    commandLine.setParameterExceptionHandler((error, args) -> {
      CommandLine cmd = error.getCommandLine();
      PrintWriter err = cmd.getErr();
      err.println("baton: " + error.getMessage());
      if (!CommandLine.UnmatchedArgumentException.printSuggestions(error, err)) {
        closestOption(error).ifPresent(option -> err.println("Did you mean " + option + "?"));
      }
      err.println("See '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
      err.flush();
      return ExitCodes.BAD_INPUT;
    });
    return commandLine;
  }

  /**
   * The option an unknown one most likely meant: picocli suggests only options that share its first two letters,
   * so {@code --wrokers} would get nothing; this takes the nearest by edit distance, at most a third of it off.
   */
  static Optional<String> closestOption(CommandLine.ParameterException error) {
    if (!(error instanceof CommandLine.UnmatchedArgumentException unmatched)) {
      return Optional.empty();
    }
    for (String arg : unmatched.getUnmatched()) {
      if (!arg.startsWith("-")) {
        continue;
      }
      String typed = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
      Optional<String> closest = error.getCommandLine().getCommandSpec().optionsMap().keySet().stream()
          .filter(name -> distance(typed, name) <= Math.max(1, name.length() / 3))
          .min(Comparator.comparingInt((String name) -> distance(typed, name)).thenComparing(name -> name));
      if (closest.isPresent()) {
        return closest;
      }
    }
    return Optional.empty();
  }

  /** Levenshtein distance, with a swap of two neighbours counted as one edit. */
  private static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  /** {@code baton} alone: the usage, on stderr, as for any other bad usage. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCodes.BAD_INPUT;
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
