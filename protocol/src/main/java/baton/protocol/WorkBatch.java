package baton.protocol;

import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Items of one cpu stage to run through the stage's op, as one unit of work. Whoever runs it answers
 * {@code replyTo} with one {@link WorkResult} holding a result for every item, in order.
 *
 * @param batch the dispatcher's number for this batch, echoed in the result
 */
public record WorkBatch(long batch, String jobId, int stage, OpRef op, List<Item> items,
    ActorRef<WorkResult> replyTo) implements CborSerializable {
}
