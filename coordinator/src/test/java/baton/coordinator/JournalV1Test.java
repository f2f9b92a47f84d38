package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.protocol.op.OpKind;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
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
        "2026-01-01T00:00:02.234Z", List.of(new JobStatus.NodeItems("pekko://baton@127.0.0.1:2552", 60)), null)
        .withStateMillis(Map.of("QUEUED", 1000L, "RUNNING", 900L, "STOPPING", 334L))
        .withPace(70 * 1000.0 / 1234, null, null);

    JournalV1.JobSummary summary = JournalV1.JobSummary.of(status);

    assertEquals(new JournalV1.Counts(100, 60, 3, 7, 30), summary.counts());
    assertEquals(List.of(new JournalV1.StageCounts("read-file", "IO", 70, 1),
        new JournalV1.StageCounts("sha256", "CPU", 60, 2)), summary.stages());
    assertEquals(List.of(new JournalV1.NodeCount("pekko://baton@127.0.0.1:2552", 60)), summary.nodes());
    assertEquals(JournalV1.State.CANCELLED, summary.state());
    assertEquals(status, summary.toStatus());
  }

  @Test
  void jobSummary_withoutTimesPerState_derivesThemFromItsSubmissionStartAndEnd() {
    JournalV1.JobSummary summary = new JournalV1.JobSummary("a-000001", "a", JournalV1.State.SUCCEEDED, 2000,
        new JournalV1.Counts(10, 10, 0, 0, 0), List.of(), null, null, "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00.500Z", "2026-01-01T00:00:02.500Z", List.of());

    JobStatus status = summary.toStatus();

    assertEquals(Map.of("ACCEPTED", 500L, "RUNNING", 2000L), status.stateMillis());
    assertEquals(5.0, status.itemsPerSecond());
    assertNull(status.etaMillis());
  }

  @Test
  void jobSummary_running_statusCarriesWhatItWaitsFor() {
    JournalV1.JobSummary summary = JournalV1.JobSummary.accepted("a-000001", "a", 5, null, "2026-01-01T00:00:00Z");

    JobStatus status = summary.toStatus("waiting for workers: 0 nodes");

    assertEquals(JobState.ACCEPTED, status.state());
    assertEquals(new JobStatus.Items(5, 0, 0, 0, 0), status.items());
    assertEquals("waiting for workers: 0 nodes", status.waiting());
  }

  @Test
  void instant_ofWhatInstantWrites_isWhatInstantParseReads() {
    SplittableRandom random = new SplittableRandom(10);
    List<Instant> instants = new java.util.ArrayList<>(List.of(Instant.EPOCH, Instant.parse("2024-02-29T23:59:59Z"),
        Instant.parse("0000-01-01T00:00:00.000000001Z"), Instant.parse("9999-12-31T23:59:59.999999999Z"),
        Instant.parse("1969-12-31T23:59:59.9Z"), Instant.now()));
    for (int i = 0; i < 20_000; i++) {
      // Whole seconds, millis, micros and nanos: Instant.toString writes 0, 3, 6 or 9 digits of fraction.
      long nanos = random.nextInt(1_000_000_000) / (long) Math.pow(10, random.nextInt(4) * 3 % 12)
          * (long) Math.pow(10, random.nextInt(4) * 3 % 12);
      instants.add(Instant.ofEpochSecond(random.nextLong(-62_167_219_200L, 253_402_300_800L), nanos % 1_000_000_000));
    }
    for (Instant instant : instants) {
      assertEquals(instant, JournalV1.instant(instant.toString()), instant.toString());
    }
    // Fractions of any length, and forms only Instant.parse reads.
    for (String text : List.of("2026-11-27T16:06:08.1Z", "2026-11-27T16:06:08.12Z", "2026-11-27T16:06:08.1234Z",
        "2026-11-27T16:06:08.12345678Z", "+10000-01-01T00:00:00Z", "2026-12-31T23:59:60Z",
        "2026-01-01T24:00:00Z")) {
      assertEquals(Instant.parse(text), JournalV1.instant(text), text);
    }
  }

  @Test
  void instant_ofOddOrBadText_readsOrFailsAsInstantParseDoes() {
    for (String text : List.of("", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-01-01T00:60:00Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567890Z", "2026-01-01T24:00:00Z",
        "2026-01-01 00:00:00Z", "2026-01-01T00:00:0xZ", "2026-01-01T00:00:00", "2026-00-10T00:00:00Z")) {
      Instant expected;
      try {
        expected = Instant.parse(text);
      } catch (DateTimeParseException e) {
        assertThrows(DateTimeParseException.class, () -> JournalV1.instant(text), text);
        continue;
      }
      assertEquals(expected, JournalV1.instant(text), text);
    }
  }
}
