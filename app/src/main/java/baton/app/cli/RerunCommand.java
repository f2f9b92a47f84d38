package baton.app.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code baton rerun ID}: a new job with an ended job's spec, over its failed items or all of them. */
@Command(name = "rerun", mixinStandardHelpOptions = true,
    description = {"Submits a new job with the spec of an ended job, over the items that failed in it "
        + "(--failed-only) or over its whole input, and prints the new job's id on stdout. The new job writes to "
        + "the spec's output (and errors file) with .rerun-<new id> appended, unless --output says where; its "
        + "status names the first job (rerun of).",
        "Exit codes: 0 accepted (with --wait: succeeded), 1 failed or cancelled, the job has not ended, or it has "
            + "no failed items to rerun, 2 no such job or a bad spec, 3 coordinator unreachable."})
final class RerunCommand extends ClientCommand {

  @Parameters(index = "0", paramLabel = "ID", description = "The id of the job to rerun.")
  String id;

  @Option(names = "--failed-only", description = "Run only the items that failed in the job.")
  boolean failedOnly;

  @Option(names = "--output", paramLabel = "FILE",
      description = "Where the new job writes its output (relative to this folder).")
  Path output;

  @Option(names = "--wait", description = "Wait for the new job to end, showing progress on stderr.")
  boolean await;

  @Override
  int run(CoordinatorClient client, PrintWriter out, PrintWriter err) throws Exception {
    String target = output == null ? null : output.toAbsolutePath().normalize().toString();
    return SubmitCommand.accepted(client, client.rerun(id, failedOnly, target), await, out, err);
  }
}
