package baton.app.cli;

import baton.coordinator.Json;
import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code baton status ID}: one job's state and counts. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"Shows a job's state, item counts, stages and nodes.",
        "Exit codes: 0 shown (with --wait: succeeded), 1 failed or cancelled (with --wait), 2 no such job, "
            + "3 coordinator unreachable."})
final class StatusCommand extends ClientCommand {

  @Parameters(index = "0", paramLabel = "ID", description = "The job id that submit printed.")
  String id;

  @Option(names = "--json", description = "Print the status as one JSON object.")
  boolean json;

  @Option(names = "--wait", description = "Wait for the job to end, showing progress on stderr.")
  boolean await;

  @Override
  int run(CoordinatorClient client, PrintWriter out, PrintWriter err) throws Exception {
    int code = ExitCodes.SUCCEEDED;
    if (await) {
      code = waitFor(client, id, err);
    }
    JobStatus status = client.status(id).orElseThrow(() -> new IllegalArgumentException("no job " + id));
    if (json) {
      out.println(Json.write(status));
    } else {
      Summary.print(status, null, out);
    }
    out.flush();
    return code;
  }

  /** Follows a job to its end with progress on stderr; answers the exit code its end state calls for. */
  static int waitFor(CoordinatorClient client, String id, PrintWriter err) throws Exception {
    JobStatus status;
    try (ProgressView view = ProgressView.forStderr(err, Follow.LINE_INTERVAL)) {
      status = Follow.untilEnded(id,
          polled -> client.status(polled).orElseThrow(() -> new IllegalArgumentException("no job " + polled)),
          view, Follow.Pause.uninterruptible(), () -> { });
    }
    err.printf("%s %s in %.2f s: %d succeeded, %d failed%s%s%n", status.id(), status.state(),
        status.durationMillis() / 1000.0, status.items().succeeded(), status.items().failed(),
        status.items().notRun() == 0 ? "" : ", " + status.items().notRun() + " not run",
        status.error() == null ? "" : " (" + status.error() + ")");
    err.flush();
    return status.state() == JobState.SUCCEEDED ? ExitCodes.SUCCEEDED : ExitCodes.FAILED;
  }
}
