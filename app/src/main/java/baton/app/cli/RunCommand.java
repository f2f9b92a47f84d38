package baton.app.cli;

import baton.app.Embedded;
import baton.app.logging.LogSetup;
import baton.coordinator.BatonConfig;
import baton.coordinator.Coordinator;
import baton.coordinator.Json;
import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.node.NodeSettings;
import baton.protocol.op.OpRegistry;
import baton.protocol.op.Reasons;
import baton.protocol.spec.SpecException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code baton run SPEC}: a coordinator and a local node in this JVM run one job, then exit. */
@Command(name = "run",
    mixinStandardHelpOptions = true,
    description = {"Runs one job in this process (a coordinator and a local node in one JVM), showing progress "
        + "on stderr and a summary on stdout.",
        "Ctrl-C (or SIGTERM) cancels the job and prints the summary so far; a second one stops at once.",
        "Exit codes: 0 succeeded, 1 failed, 2 bad spec or usage, 130 interrupted by Ctrl-C (SIGINT) and 143 by "
            + "SIGTERM: the job was cancelled."})
final class RunCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SPEC", description = "The job spec, a HOCON file.")
  Path specFile;

  @Option(names = "--json", description = "Print the summary as one JSON object on stdout.")
  boolean json;

  @Option(names = "--log-dir", paramLabel = "DIR", defaultValue = "logs",
      description = "Where baton.log and jobs/<id>.log go (default: ${DEFAULT-VALUE}).")
  Path logDir;

  @Option(names = "--workers", paramLabel = "N",
      description = "CPU worker actors (default: baton.node.workers, 0 = one per core).")
  Integer workers;

  @Option(names = "--classpath", paramLabel = "PATH",
      description = "Jars or folders with user ops, separated by '${sys:path.separator}'.")
  String classpath;

  @Option(names = "--quiet", description = "Show no progress on stderr.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (workers != null && workers < 1) {
      return fail(err, ExitCodes.BAD_INPUT, "--workers must be at least 1, got " + workers);
    }
    SpecFile specText;
    Launch launch;
    try {
      specText = SpecFile.read(specFile);
      launch = Launch.load(classpath);
    } catch (Launch.UserError e) {
      return fail(err, ExitCodes.BAD_INPUT, e.getMessage());
    }
    Config config = launch.config();
    OpRegistry registry = launch.registry();
    LogSetup.configure(logDir, "baton.log");
    NodeSettings node = NodeSettings.from(config).withWorkers(workers == null ? 0 : workers);
    // The command stops its actor system itself, within baton.run.stop-timeout; the exit after it need not wait.
    Config local = config.withValue("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook",
        ConfigValueFactory.fromAnyRef("off"));
    try (Interrupts interrupts = Interrupts.install(); Embedded baton = Embedded.start(local, registry, node)
        .stoppingWithin(config.getDuration("baton.run.stop-timeout"))) {
      Coordinator.SubmitReply reply = await(baton.submit(specText.text(), specText.name(),
          specText.dir()));
      if (reply instanceof Coordinator.Rejected rejected) {
        return fail(err, ExitCodes.BAD_INPUT, rejected.error());
      }
      if (reply instanceof Coordinator.Unavailable unavailable) {
        return fail(err, ExitCodes.FAILED, unavailable.error());
      }
      String id = ((Coordinator.Accepted) reply).status().id();
      JobStatus status;
      try (ProgressView view = quiet ? ProgressView.none() : ProgressView.forStderr(err, Follow.LINE_INTERVAL)) {
        status = Follow.untilEnded(id,
            polled -> await(baton.status(polled)).orElseThrow(() -> new IllegalStateException("job " + polled
                + " is gone")),
            view, patience -> interrupts.await(patience).isPresent(), () -> cancel(baton, id, err));
      }
      if (json) {
        out.println(Json.write(status));
        out.flush();
      } else {
        Summary.print(status, logDir.resolve("jobs").resolve(id + ".log").toString(), out);
      }
      if (interrupts.received().isPresent() && status.state() == JobState.CANCELLED) {
        return Interrupts.exitCode(interrupts.received().get());
      }
      return status.state() == JobState.SUCCEEDED ? ExitCodes.SUCCEEDED : ExitCodes.FAILED;
    }
  }

  private static void cancel(Embedded baton, String id, PrintWriter err) {
    err.println("baton: interrupted: cancelling job " + id + " (Ctrl-C again stops at once)");
    err.flush();
    baton.cancel(id);
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw Reasons.unwrap(e) instanceof Exception cause ? cause : e;
    }
  }

  private static int fail(PrintWriter err, int code, String message) {
    err.println("baton: " + message);
    err.flush();
    return code;
  }
}
