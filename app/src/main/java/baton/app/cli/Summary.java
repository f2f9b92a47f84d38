package baton.app.cli;

import baton.coordinator.api.JobStatus;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Prints a finished job for people: a few aligned lines and a table of stages. */
final class Summary {

  private Summary() {
  }

  static void print(JobStatus status, String logFile, PrintWriter out) {
    JobStatus.Items items = status.items();
    out.printf("%s  %s%s  in %.2f s%n", status.id(), status.state(),
        status.waiting() == null ? "" : " (" + status.waiting() + ")", status.durationMillis() / 1000.0);
    out.printf("items   %d total, %d succeeded, %d failed, %d filtered, %d not run%n",
        items.total(), items.succeeded(), items.failed(), items.filtered(), items.notRun());
    // A queued job (or one that failed before it ran) has no stages to show yet.
    if (!status.stages().isEmpty()) {
      List<List<String>> rows = new ArrayList<>();
      rows.add(List.of("stage", "op", "kind", "done", "failed"));
      boolean throttled = status.stages().stream().anyMatch(stage -> stage.throttled() != null);
      for (int i = 0; i < status.stages().size(); i++) {
        JobStatus.StageStatus stage = status.stages().get(i);
        List<String> row = new ArrayList<>(List.of(Integer.toString(i + 1), stage.op(), stage.kind().label(),
            Long.toString(stage.done()), Long.toString(stage.failed())));
        if (throttled) {
          row.add(stage.throttled() == null ? "" : "throttled at " + stage.throttled());
        }
        rows.add(row);
      }
      Table.print(rows, out);
    }
    printNodes(status.nodes(), out);
    if (status.output() != null) {
      out.println("output  " + status.output());
    }
    if (status.rerunOf() != null) {
      out.println("rerun of " + status.rerunOf());
    }
    if (logFile != null) {
      out.println("log     " + logFile);
    }
    if (status.error() != null) {
      out.println("error   " + status.error());
    }
    out.flush();
  }

  /** Which cluster member's workers did how many of the job's cpu items. */
  private static void printNodes(List<JobStatus.NodeItems> nodes, PrintWriter out) {
    if (nodes == null || nodes.isEmpty()) {
      return;
    }
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("node", "items"));
    for (JobStatus.NodeItems node : nodes) {
      rows.add(List.of(node.address(), Long.toString(node.items())));
    }
    Table.print(rows, out);
  }
}
