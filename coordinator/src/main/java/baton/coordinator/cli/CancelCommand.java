package baton.coordinator.cli;

import baton.protocol.JobStatus;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code baton cancel ID}: stops a running job. */
@Command(name = "cancel", mixinStandardHelpOptions = true,
    description = "Cancels a running job; it ends CANCELLED with the counts so far.")
final class CancelCommand extends ClientCommand {

  @Parameters(index = "0", paramLabel = "ID", description = "The job id.")
  String id;

  @Override
  int run(CoordinatorClient client, PrintWriter out, PrintWriter err) throws Exception {
    JobStatus status = client.cancel(id);
    out.println(status.id() + " " + status.state());
    out.flush();
    return ExitCodes.SUCCEEDED;
  }
}
