package baton.protocol.wire;

import org.apache.pekko.actor.typed.ActorRef;

/**
 * A node asks the coordinator's dispatcher for work. Work only ever goes to a node that asked for it, so a fast node
 * takes more and none is flooded. Two kinds: a <em>full load</em> ({@code fullLoad}), which a node sends once to a
 * dispatcher new to it, says how many batches it takes at once ({@code credits}); it replaces, never adds to, what
 * the dispatcher held for the node, so a repeated one cannot inflate the node's credits. Then one pull per finished
 * batch ({@code completedBatch}) gives that batch's credit back.
 *
 * @param agent where the node takes batches
 * @param workers the node's pool size, for {@code baton nodes}
 * @param fullLoad true for a full load, false for a finished batch's credit
 * @param completedBatch the finished batch whose credit this gives back; 0 and unused in a full load
 */
public record Pull(ActorRef<WorkBatch> agent, int credits, int workers, boolean fullLoad, long completedBatch)
    implements CborSerializable {

  /** All the batches a node takes at once, sent to a dispatcher new to it. */
  public static Pull fullLoad(ActorRef<WorkBatch> agent, int credits, int workers) {
    return new Pull(agent, credits, workers, true, 0);
  }

  /** The credit of a finished batch, given back to the dispatcher that sent it. */
  public static Pull oneMore(ActorRef<WorkBatch> agent, int workers, long completedBatch) {
    return new Pull(agent, 1, workers, false, completedBatch);
  }
}
