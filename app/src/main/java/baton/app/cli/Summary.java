package baton.app.cli;

import baton.coordinator.api.JobStatus;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
    printPace(status, out);
    printStates(status.stateMillis(), out);
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

  /** Items per second, the time left and the bottleneck, as far as they are known. */
  private static void printPace(JobStatus status, PrintWriter out) {
    if (status.itemsPerSecond() == null) {
      return;
    }
    StringBuilder line = new StringBuilder("pace    ").append(perSecond(status.itemsPerSecond())).append(" items/s");
    if (status.etaMillis() != null) {
      line.append(", ETA ").append(duration(status.etaMillis()));
    }
    if (status.bottleneck() != null) {
      line.append(", bottleneck: ").append(bottleneck(status));
    }
    out.println(line);
  }

  /** A rate as people read it: {@code 42,000}, {@code 8.5}. */
  static String perSecond(double rate) {
    return rate >= 100 ? String.format(Locale.ROOT, "%,.0f", rate) : String.format(Locale.ROOT, "%.1f", rate);
  }

  /** A time left, rounded up to the second: {@code 12 s}, {@code 3 min 20 s}, {@code 2 h 5 min}. */
  static String duration(long millis) {
    long seconds = (millis + 999) / 1000;
    if (seconds < 60) {
      return seconds + " s";
    }
    if (seconds < 3600) {
      return seconds / 60 + " min " + seconds % 60 + " s";
    }
    return seconds / 3600 + " h " + seconds / 60 % 60 + " min";
  }

  /** The bottleneck with its stage's index and calls in flight: {@code http-get (stage 1, 64 of 64 in flight)}. */
  private static String bottleneck(JobStatus status) {
    List<JobStatus.StageStatus> stages = status.stages();
    for (int i = 0; i < stages.size(); i++) {
      JobStatus.StageStatus stage = stages.get(i);
      String op = stage.op();
      boolean shared = stages.stream().filter(other -> other.op().equals(op)).count() > 1;
      if ((shared ? op + " (stage " + (i + 1) + ")" : op).equals(status.bottleneck())) {
        return op + " (stage " + (i + 1) + (stage.inFlight() == null ? ""
            : ", " + stage.inFlight() + " of " + stage.parallelism() + " in flight") + ")";
      }
    }
    return status.bottleneck();
  }

  /** The time the job spent in each state: {@code QUEUED 0.01 s, RUNNING 3.40 s}. */
  private static void printStates(Map<String, Long> stateMillis, PrintWriter out) {
    if (stateMillis == null || stateMillis.isEmpty()) {
      return;
    }
    List<String> states = new ArrayList<>();
    stateMillis.forEach((state, millis) -> states.add(String.format(Locale.ROOT, "%s %.2f s", state,
        millis / 1000.0)));
    out.println("states  " + String.join(", ", states));
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
