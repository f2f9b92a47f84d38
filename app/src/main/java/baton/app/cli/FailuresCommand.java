package baton.app.cli;

import baton.coordinator.Json;
import baton.coordinator.api.FailurePage;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code baton failures ID}: the items that failed in a job, a page at a time. */
@Command(name = "failures", mixinStandardHelpOptions = true,
    description = {"Lists the items that failed in a job: key, stage, op, attempts and the last reason.",
        "Exit codes: 0 listed, 2 no such job or a bad --offset/--limit, 3 coordinator unreachable."})
final class FailuresCommand extends ClientCommand {

  @Parameters(index = "0", paramLabel = "ID", description = "The job id.")
  String id;

  @Option(names = "--json", description = "Print the page as one JSON object: total, offset, items.")
  boolean json;

  @Option(names = "--offset", paramLabel = "N", defaultValue = "0",
      description = "Skip the first N failed items (default: ${DEFAULT-VALUE}).")
  long offset;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
      description = "Show at most N failed items (default: ${DEFAULT-VALUE}; at most 1000).")
  int limit;

  @Override
  int run(CoordinatorClient client, PrintWriter out, PrintWriter err) throws Exception {
    FailurePage page = client.failures(id, offset, limit);
    if (json) {
      out.println(Json.write(page));
      out.flush();
      return ExitCodes.SUCCEEDED;
    }
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("key", "stage", "op", "attempts", "reason"));
    for (FailurePage.FailedItem item : page.items()) {
      rows.add(List.of(oneLine(item.key()), Integer.toString(item.stage()), item.op(),
          Integer.toString(item.attempts()), oneLine(item.reason())));
    }
    Table.print(rows, out);
    long shownTo = page.offset() + page.items().size();
    out.println(page.total() + (page.total() == 1 ? " failed item" : " failed items")
        + (page.items().isEmpty() || page.offset() == 0 && shownTo == page.total() ? ""
            : ", shown " + (page.offset() + 1) + " to " + shownTo)
        + (shownTo < page.total() ? "; next: --offset " + shownTo : ""));
    out.flush();
    return ExitCodes.SUCCEEDED;
  }

  // A table row per item: tabs and line ends shown as the errors file writes them.
  private static String oneLine(String text) {
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n");
  }
}
