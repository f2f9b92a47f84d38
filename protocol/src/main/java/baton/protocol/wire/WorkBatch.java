package baton.protocol.wire;

import baton.protocol.spec.OpRef;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Items of one cpu stage to run through the stage's op, as one unit of work. Whoever runs it tells {@code started}
 * when it starts the batch (the item timeout runs from then, never from when the batch was queued), and answers
 * {@code replyTo} with one {@link WorkResult} holding a result for every item, in order.
 *
 * @param batch the dispatcher's number for this batch, echoed in the result and in {@link BatchStarted}
 * @param itemTimeout the job's {@code item-timeout}: how long one op call on one item may take
 */
public record WorkBatch(long batch, String jobId, int stage, OpRef op, List<Item> items,
    ActorRef<WorkResult> replyTo, ActorRef<BatchStarted> started, Duration itemTimeout)
    implements CborSerializable {
}
