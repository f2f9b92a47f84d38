package baton.coordinator;

import baton.protocol.Item;

/** What flows between a job's stages: an item still going, or the record of where it stopped. */
sealed interface Outcome {

  String key();

  /** An item that every stage so far has passed on. */
  record Ok(Item item) implements Outcome {
    @Override
    public String key() {
      return item.key();
    }
  }

  /** An item that failed in a stage after its retries. */
  record Failed(String key, int stage, String reason) implements Outcome {
  }

  /** An item a stage dropped on purpose (as grep does). */
  record Dropped(String key, int stage) implements Outcome {
  }
}
