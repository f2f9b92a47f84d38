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

  /** An item that failed in a stage after its retries. */
  record Failed(long seq, String key, int stage, String reason) implements Outcome {
  }

  /** An item a stage dropped on purpose (as grep does). */
  record Dropped(long seq, String key, int stage) implements Outcome {
  }
}
