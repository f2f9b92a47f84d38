package baton.coordinator;

import baton.protocol.Item;
import baton.protocol.OpRef;
import baton.protocol.Pull;
import baton.protocol.ServiceKeys;
import baton.protocol.WorkBatch;
import baton.protocol.WorkResult;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * Hands cpu batches to the nodes that pull for them. Nodes find it through the Receptionist and send credits
 * ({@link Pull}); a batch only goes to a node with a credit left, and the node with the most credits gets it, so
 * fast nodes take more and none is flooded. When a node goes away, the batches it held go back to the head of the
 * queue for the others.
 */
public final class WorkDispatcher extends AbstractBehavior<WorkDispatcher.Command> {

  public interface Command {
  }

  /** Runs a batch on some node; the node answers {@code replyTo}. */
  public record Dispatch(String jobId, int stage, OpRef op, List<Item> items, ActorRef<WorkResult> replyTo)
      implements Command {
  }

  /** Asks for the nodes that pull work now. */
  public record GetNodes(ActorRef<List<NodeInfo>> replyTo) implements Command {
  }

  /** A node as the dispatcher sees it. */
  public record NodeInfo(String address, int workers, int inFlight) {
  }

  private record Pulled(Pull pull) implements Command {
  }

  private record NodeGone(ActorRef<WorkBatch> agent) implements Command {
  }

  private static final class Node {
    final int workers;
    int credits;
    final Map<Long, WorkBatch> inFlight = new LinkedHashMap<>();

    Node(int workers) {
      this.workers = workers;
    }
  }

  private final Deque<WorkBatch> queue = new ArrayDeque<>();
  private final Map<ActorRef<WorkBatch>, Node> nodes = new HashMap<>();
  private long nextBatch;

  public static Behavior<Command> create() {
    return Behaviors.setup(WorkDispatcher::new);
  }

  private WorkDispatcher(ActorContext<Command> context) {
    super(context);
    ActorRef<Pull> pulls = context.messageAdapter(Pull.class, Pulled::new);
    context.getSystem().receptionist().tell(Receptionist.register(ServiceKeys.DISPATCHER, pulls));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Dispatch.class, this::onDispatch)
        .onMessage(Pulled.class, this::onPulled)
        .onMessage(NodeGone.class, this::onNodeGone)
        .onMessage(GetNodes.class, this::onGetNodes)
        .build();
  }

  private Behavior<Command> onDispatch(Dispatch dispatch) {
    queue.addLast(new WorkBatch(nextBatch++, dispatch.jobId(), dispatch.stage(), dispatch.op(), dispatch.items(),
        dispatch.replyTo()));
    if (nodes.isEmpty() && queue.size() == 1) {
      getContext().getLog().info("work is waiting for a node to pull it");
    }
    return sendWhatCanGo();
  }

  private Behavior<Command> onPulled(Pulled pulled) {
    Pull pull = pulled.pull();
    Node node = nodes.get(pull.agent());
    if (node == null) {
      node = new Node(pull.workers());
      nodes.put(pull.agent(), node);
      getContext().watchWith(pull.agent(), new NodeGone(pull.agent()));
      getContext().getLog().info("node {} pulls work for {} workers", pull.agent().path().address(), pull.workers());
    }
    node.credits += pull.credits();
    if (pull.completedBatch() >= 0) {
      node.inFlight.remove(pull.completedBatch());
    }
    return sendWhatCanGo();
  }

  private Behavior<Command> onNodeGone(NodeGone gone) {
    Node node = nodes.remove(gone.agent());
    if (node != null) {
      List<WorkBatch> orphans = new ArrayList<>(node.inFlight.values());
      getContext().getLog().warn("node {} is gone with {} batches in flight; they go to other nodes",
          gone.agent().path().address(), orphans.size());
      for (int i = orphans.size() - 1; i >= 0; i--) {
        queue.addFirst(orphans.get(i));
      }
    }
    return sendWhatCanGo();
  }

  private Behavior<Command> onGetNodes(GetNodes request) {
    List<NodeInfo> infos = new ArrayList<>();
    nodes.forEach((agent, node) ->
        infos.add(new NodeInfo(agent.path().address().toString(), node.workers, node.inFlight.size())));
    request.replyTo().tell(List.copyOf(infos));
    return this;
  }

  private Behavior<Command> sendWhatCanGo() {
    while (!queue.isEmpty()) {
      Map.Entry<ActorRef<WorkBatch>, Node> best = null;
      for (Map.Entry<ActorRef<WorkBatch>, Node> entry : nodes.entrySet()) {
        if (entry.getValue().credits > 0 && (best == null || entry.getValue().credits > best.getValue().credits)) {
          best = entry;
        }
      }
      if (best == null) {
        break;
      }
      WorkBatch batch = queue.pollFirst();
      best.getValue().credits--;
      best.getValue().inFlight.put(batch.batch(), batch);
      best.getKey().tell(batch);
    }
    return this;
  }
}
