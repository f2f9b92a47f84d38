package baton.coordinator.stream;

import baton.protocol.wire.Item;

/**
 * What flows between a job's stages: an item still going, or the record of where it stopped. Each carries the
 * item's sequence number in the input, which is how a resumed job knows what it already did.
 */
public sealed interface Outcome {

  String key();

  long seq();

  /** An item that every stage so far has passed on. */
  record Ok(long seq, Item item) implements Outcome {
    @Override
    public String key() {
      return item.key();
    }

    Ok with(byte[] payload) {
      return new Ok(seq, new Item(item.key(), payload));
    }
  }

  /** An item that failed in a stage (1-based) after {@code attempts} tries of its op, for the last one's reason. */
  record Failed(long seq, String key, int stage, String reason, int attempts) implements Outcome {

    /** A failure after one try. */
    public Failed(long seq, String key, int stage, String reason) {
      this(seq, key, stage, reason, 1);
    }
  }

  /** An item a stage dropped on purpose (as grep does). */
  record Dropped(long seq, String key, int stage) implements Outcome {
  }
}
