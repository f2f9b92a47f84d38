package baton.app.cli;

import baton.coordinator.Json;
import baton.coordinator.api.JobStatus;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code baton list}: every job the coordinator knows. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the coordinator's jobs, oldest first.")
final class ListCommand extends ClientCommand {

  @Option(names = "--json", description = "Print a JSON array of job statuses.")
  boolean json;

  @Override
  int run(CoordinatorClient client, PrintWriter out, PrintWriter err) throws Exception {
    List<JobStatus> jobs = client.list();
    if (json) {
      out.println(Json.write(jobs));
    } else if (jobs.isEmpty()) {
      out.println("no jobs");
    } else {
      List<List<String>> rows = new ArrayList<>();
      rows.add(List.of("ID", "NAME", "STATE", "ITEMS", "FAILED", "ITEMS/S", "ETA", "SECONDS", "SUBMITTED"));
      for (JobStatus job : jobs) {
        JobStatus.Items items = job.items();
        long done = items.succeeded() + items.failed() + items.filtered();
        String state = job.queuePosition() == null ? job.state().name() : job.state() + " #" + job.queuePosition();
        rows.add(List.of(job.id(), job.name(), state,
            done + "/" + (items.total() < 0 ? "?" : items.total()), Long.toString(items.failed()),
            job.itemsPerSecond() == null ? "-" : Summary.perSecond(job.itemsPerSecond()),
            job.etaMillis() == null ? "-" : Summary.duration(job.etaMillis()),
            String.format("%.1f", job.durationMillis() / 1000.0),
            job.submittedAt() == null ? "-" : job.submittedAt()));
      }
      Table.print(rows, out);
    }
    out.flush();
    return ExitCodes.SUCCEEDED;
  }
}
