package baton.app.cli;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code baton cancel ID}: stops a running or queued job. */
@Command(name = "cancel", mixinStandardHelpOptions = true,
    description = {"Cancels a running or queued job; it ends CANCELLED with the counts so far.",
        "Exit codes: 0 cancelled, 1 the job had already ended (nothing to cancel), 2 no such job, "
            + "3 coordinator unreachable."})
final class CancelCommand extends ClientCommand {

  @Parameters(index = "0", paramLabel = "ID", description = "The job id.")
  String id;

  @Override
  int run(CoordinatorClient client, PrintWriter out, PrintWriter err) throws Exception {
    JobStatus status = client.cancel(id);
    if (Follow.ended(status) && !neverStarted(status)) {
      // Ended before the cancel arrived: a job being stopped has no end time yet.
      return fail(err, ExitCodes.FAILED, "job " + status.id() + " already ended: " + status.state());
    }
    out.println(status.id() + " " + status.state());
    out.flush();
    return ExitCodes.SUCCEEDED;
  }

  // A job cancelled while it was queued ends with the cancel itself (so a second cancel of it says the same).
  private static boolean neverStarted(JobStatus status) {
    return status.state() == JobState.CANCELLED && status.startedAt() == null;
  }
}
