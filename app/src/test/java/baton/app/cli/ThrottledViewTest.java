package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.protocol.op.OpKind;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The status and progress views of a job whose stage waits for its rate limit. */
final class ThrottledViewTest {

  private static final JobStatus THROTTLED = status(new JobStatus.StageStatus("http-get", OpKind.IO, 40, 0, "50/s"),
      new JobStatus.StageStatus("sha256", OpKind.CPU, 40, 0));

  @Test
  void summary_stageThrottled_itsRowSaysAtWhichRate() {
    StringWriter text = new StringWriter();

    Summary.print(THROTTLED, null, new PrintWriter(text));

    List<String> rows = text.toString().lines().filter(line -> line.matches("^[12] .*")).toList();
    assertEquals(2, rows.size(), text.toString());
    assertTrue(rows.get(0).endsWith("throttled at 50/s"), text.toString());
    assertTrue(rows.get(1).endsWith("0"), text.toString());
  }

  @Test
  void summary_noStageThrottled_noThrottledColumn() {
    StringWriter text = new StringWriter();

    Summary.print(status(new JobStatus.StageStatus("http-get", OpKind.IO, 40, 0)), null, new PrintWriter(text));

    assertTrue(!text.toString().contains("throttled"), text.toString());
  }

  @Test
  void progressLines_stageThrottled_lineSaysWhichStageAndRate() {
    StringWriter text = new StringWriter();
    ProgressView.Lines lines = new ProgressView.Lines(new PrintWriter(text), Duration.ZERO);

    lines.update(THROTTLED);

    assertTrue(text.toString().strip().endsWith("; stage 1 (http-get) throttled at 50/s"), text.toString());
  }

  private static JobStatus status(JobStatus.StageStatus... stages) {
    return new JobStatus("job-1", "limited", JobState.RUNNING, 1500, new JobStatus.Items(100, 40, 0, 0, 0),
        List.of(stages), null, null, "2026-11-27T07:00:00Z", "2026-11-27T07:00:00Z", null, List.of(), null);
  }
}
