package baton.protocol;

import org.apache.pekko.actor.typed.ActorRef;

/**
 * A node asks the coordinator's dispatcher for work: {@code credits} more batches, and reports the batch it just
 * finished (or -1). Work only ever goes to a node that asked for it, so a fast node takes more and none is flooded.
 *
 * @param agent where the node takes batches
 * @param workers the node's pool size, for {@code baton nodes}
 */
public record Pull(ActorRef<WorkBatch> agent, int credits, int workers, long completedBatch)
    implements CborSerializable {
}
