package baton.coordinator.api;

import baton.protocol.wire.CborSerializable;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A page of a job's failed items, as {@code GET /api/jobs/{id}/failures?offset=&limit=} answers and
 * {@code baton failures --json} prints it: {@code total} failed items written so far, the page's {@code items}
 * from {@code offset} on, in the order they failed.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record FailurePage(long total, long offset, List<FailedItem> items) implements CborSerializable {

  /**
   * One failed item: its key, the stage it failed in (1-based, as in the spec and the job log), that stage's op,
   * how many tries its op got, and the last try's reason.
   */
  public record FailedItem(String key, int stage, String op, int attempts, String reason)
      implements CborSerializable {
  }
}
