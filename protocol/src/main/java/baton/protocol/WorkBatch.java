package baton.protocol;

import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Items of one cpu stage sent to a worker to run through the stage's op; the worker answers with one
 * {@link WorkResult} that has a result for every item, in order.
 */
public record WorkBatch(String jobId, int stage, OpRef op, List<Item> items, ActorRef<WorkResult> replyTo)
    implements CborSerializable {
}
