package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The promise every test that reads a finished job's counts checks: each item ends in exactly one bucket
 * (succeeded, failed, filtered, not run), the buckets add up to the total, and only a job that did not succeed has
 * items it did not run.
 */
public final class ItemCounts {

  private ItemCounts() {
  }

  /** Checks the counts of a job that has ended. */
  public static void assertAddUp(JobStatus status) {
    assertTrue(status.state().isFinal(), "not ended: " + status);
    JobStatus.Items items = status.items();
    assertAddUp(status.state(), items.total(), items.succeeded(), items.failed(), items.filtered(), items.notRun(),
        status.toString());
  }

  /** Checks the counts of a job that has ended, as {@code --json} prints it. */
  public static void assertAddUp(JsonNode status) {
    JobState state = JobState.valueOf(status.get("state").asText());
    assertTrue(state.isFinal(), "not ended: " + status);
    JsonNode items = status.get("items");
    assertAddUp(state, items.get("total").asLong(), items.get("succeeded").asLong(), items.get("failed").asLong(),
        items.get("filtered").asLong(), items.get("notRun").asLong(), status.toString());
  }

  private static void assertAddUp(JobState state, long total, long succeeded, long failed, long filtered,
      long notRun, String status) {
    assertTrue(succeeded >= 0 && failed >= 0 && filtered >= 0 && notRun >= 0, "a negative count: " + status);
    assertEquals(total, succeeded + failed + filtered + notRun,
        "succeeded + failed + filtered + notRun is not the total: " + status);
    if (state == JobState.SUCCEEDED) {
      assertEquals(0, notRun, "a job that succeeded ran every item: " + status);
    }
  }
}
