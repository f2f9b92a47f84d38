package baton.protocol.wire;

/**
 * A worker started a {@link WorkBatch}: from now on its items run, each bounded by the batch's item timeout. Time
 * the batch spent queued, at the dispatcher or in a worker's mailbox, never counts against it.
 *
 * @param batch the number of the batch, as its {@link WorkBatch} gave it
 */
public record BatchStarted(long batch) implements CborSerializable {
}
