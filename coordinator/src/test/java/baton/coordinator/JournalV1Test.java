package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.protocol.op.OpKind;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The journal's job summary maps to the API's status and back without losing a field. */
final class JournalV1Test {

  @Test
  void jobSummary_ofAnEndedStatusWithNodesAndStages_mapsBackToTheSameStatus() {
    JobStatus status = new JobStatus("sums-00ab12", "sums", JobState.CANCELLED, 1234,
        new JobStatus.Items(100, 60, 3, 7, 30),
        List.of(new JobStatus.StageStatus("read-file", OpKind.IO, 70, 1),
            new JobStatus.StageStatus("sha256", OpKind.CPU, 60, 2)),
        "cancelled by request", "/data/out/sums.tsv", "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z",
        "2026-01-01T00:00:02.234Z", List.of(new JobStatus.NodeItems("pekko://baton@127.0.0.1:2552", 60)), null);

    JournalV1.JobSummary summary = JournalV1.JobSummary.of(status);

    assertEquals(new JournalV1.Counts(100, 60, 3, 7, 30), summary.counts());
    assertEquals(List.of(new JournalV1.StageCounts("read-file", "IO", 70, 1),
        new JournalV1.StageCounts("sha256", "CPU", 60, 2)), summary.stages());
    assertEquals(List.of(new JournalV1.NodeCount("pekko://baton@127.0.0.1:2552", 60)), summary.nodes());
    assertEquals(JournalV1.State.CANCELLED, summary.state());
    assertEquals(status, summary.toStatus());
  }

  @Test
  void jobSummary_running_statusCarriesWhatItWaitsFor() {
    JournalV1.JobSummary summary = JournalV1.JobSummary.accepted("a-000001", "a", 5, null, "2026-01-01T00:00:00Z");

    JobStatus status = summary.toStatus("waiting for workers: 0 nodes");

    assertEquals(JobState.ACCEPTED, status.state());
    assertEquals(new JobStatus.Items(5, 0, 0, 0, 0), status.items());
    assertEquals("waiting for workers: 0 nodes", status.waiting());
  }
}
