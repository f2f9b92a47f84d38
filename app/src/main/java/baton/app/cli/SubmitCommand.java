package baton.app.cli;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code baton submit SPEC}: sends a job to the coordinator and prints its id. */
@Command(name = "submit", mixinStandardHelpOptions = true,
    description = {"Submits a job spec to the coordinator and prints the job id on stdout. Relative paths in the "
        + "spec resolve against the spec's folder.",
        "Exit codes: 0 accepted (with --wait: succeeded), 1 failed or cancelled, 2 bad spec, "
            + "3 coordinator unreachable."})
final class SubmitCommand extends ClientCommand {

  @Parameters(index = "0", paramLabel = "SPEC", description = "The job spec, a HOCON file.")
  Path specFile;

  @Option(names = "--wait", description = "Wait for the job to end, showing progress on stderr.")
  boolean await;

  @Option(names = "--classpath", paramLabel = "PATH",
      description = "Jars or class folders (joined by ':') with the job's own ops, sent with the job: the "
          + "coordinator keeps them and every node loads them for this job alone.")
  String classpath;

  @Override
  int run(CoordinatorClient client, PrintWriter out, PrintWriter err) throws Exception {
    SpecFile file;
    try {
      file = SpecFile.read(specFile);
    } catch (Launch.UserError e) {
      return fail(err, ExitCodes.BAD_INPUT, e.getMessage());
    }
    String code = null;
    if (classpath != null) {
      byte[] bundle;
      try {
        bundle = CodeBundle.pack(classpath, ConfigFactory.load().getBytes("baton.http.max-code-bytes"));
      } catch (Launch.UserError e) {
        return fail(err, ExitCodes.BAD_INPUT, e.getMessage());
      }
      code = client.sendCode(bundle);
    }
    return accepted(client, client.submit(file.text(), file.name(), file.dir().toString(), code), await, out, err);
  }

  /**
   * Prints an accepted job's id on stdout (and on stderr that it is queued, if so), then with {@code await} waits
   * for it to end; shared with {@code rerun}.
   */
  static int accepted(CoordinatorClient client, JobStatus accepted, boolean await, PrintWriter out,
      PrintWriter err) throws Exception {
    out.println(accepted.id());
    out.flush();
    if (accepted.state() == JobState.QUEUED) {
      // On stderr: stdout stays the id alone, for scripts.
      err.println(accepted.id() + " QUEUED (" + accepted.waiting() + ")");
      err.flush();
    }
    if (!await) {
      return ExitCodes.SUCCEEDED;
    }
    return StatusCommand.waitFor(client, accepted.id(), err);
  }
}
