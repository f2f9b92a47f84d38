package baton.coordinator;

import baton.protocol.Item;
import baton.protocol.OpRef;
import baton.protocol.Pull;
import baton.protocol.ServiceKeys;
import baton.protocol.WorkBatch;
import baton.protocol.WorkResult;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 *
 * <p>Results come back through the dispatcher, which answers each {@link Dispatch} at most once: every time a batch
 * goes to a node it gets a new number, and a result whose number is no longer out (its node was given up, or its job
 * cancelled) is dropped. So a batch that ran twice, on a node that was thought dead and on the one that took it
 * over, still counts once.
 */
public final class WorkDispatcher extends AbstractBehavior<WorkDispatcher.Command> {

  public interface Command {
  }

  /**
   * Runs a batch on some node; the dispatcher answers {@code replyTo} at most once. Each item may take
   * {@code itemTimeout} from when a worker starts the batch; time in the queue never counts. While no node pulls
   * work, {@code waitingTo} hears that the job waits for workers, and again when they come.
   */
  public record Dispatch(String jobId, int stage, OpRef op, List<Item> items, Duration itemTimeout,
      ActorRef<WorkResult> replyTo, ActorRef<Waiting> waitingTo) implements Command {
  }

  /**
   * Tells a job whether its cpu work waits for workers because no node is connected; {@code text} says so for the
   * job log ("waiting for workers: 0 nodes", then "workers came: ...").
   */
  public record Waiting(boolean waiting, String text) {
  }

  /**
   * The job is over: its queued batches are dropped, results of its batches still on nodes are ignored, and later
   * dispatches for it are never answered.
   */
  public record CancelJob(String jobId) implements Command {
  }

  /** Asks for the nodes that pull work now. */
  public record GetNodes(ActorRef<List<NodeInfo>> replyTo) implements Command {
  }

  /** A node as the dispatcher sees it. */
  public record NodeInfo(String address, int workers, int inFlight) {
  }

  private record Pulled(Pull pull) implements Command {
  }

  private record Finished(WorkResult result) implements Command {
  }

  private record NodeGone(ActorRef<WorkBatch> agent) implements Command {
  }

  private static final int CANCELLED_JOBS_KEPT = 1000;

  private static final class Node {
    final int workers;
    int credits;
    final Map<Long, Dispatch> inFlight = new LinkedHashMap<>();

    Node(int workers) {
      this.workers = workers;
    }
  }

  private final Deque<Dispatch> queue = new ArrayDeque<>();
  private final Map<ActorRef<WorkBatch>, Node> nodes = new HashMap<>();
  // Which node holds each batch number that is out; a result for a number not here is late and dropped.
  private final Map<Long, ActorRef<WorkBatch>> out = new HashMap<>();
  private final Set<String> cancelled = new LinkedHashSet<>();
  private final ActorRef<WorkResult> results;
  private long nextBatch;

  public static Behavior<Command> create() {
    return Behaviors.setup(WorkDispatcher::new);
  }

  private WorkDispatcher(ActorContext<Command> context) {
    super(context);
    ActorRef<Pull> pulls = context.messageAdapter(Pull.class, Pulled::new);
    this.results = context.messageAdapter(WorkResult.class, Finished::new);
    context.getSystem().receptionist().tell(Receptionist.register(ServiceKeys.DISPATCHER, pulls));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Dispatch.class, this::onDispatch)
        .onMessage(Pulled.class, this::onPulled)
        .onMessage(Finished.class, this::onFinished)
        .onMessage(NodeGone.class, this::onNodeGone)
        .onMessage(CancelJob.class, this::onCancelJob)
        .onMessage(GetNodes.class, this::onGetNodes)
        .build();
  }

  private Behavior<Command> onDispatch(Dispatch dispatch) {
    if (cancelled.contains(dispatch.jobId())) {
      return this;
    }
    queue.addLast(dispatch);
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
    // The pull's completedBatch is not used: results travel on another lane and may come after it; the result
    // itself is what takes a batch off its node.
    node.credits += pull.credits();
    return sendWhatCanGo();
  }

  private Behavior<Command> onFinished(Finished finished) {
    WorkResult result = finished.result();
    ActorRef<WorkBatch> agent = out.remove(result.batch());
    Node node = agent == null ? null : nodes.get(agent);
    Dispatch dispatch = node == null ? null : node.inFlight.remove(result.batch());
    if (dispatch == null) {
      getContext().getLog().debug("dropping the result of batch {} from {}: its node was given up or its job ended",
          result.batch(), result.node());
      return this;
    }
    dispatch.replyTo().tell(result);
    return this;
  }

  private Behavior<Command> onNodeGone(NodeGone gone) {
    Node node = nodes.remove(gone.agent());
    if (node != null) {
      List<Dispatch> orphans = new ArrayList<>(node.inFlight.values());
      node.inFlight.keySet().forEach(out::remove);
      getContext().getLog().warn("node {} is gone with {} batches in flight; they go to other nodes",
          gone.agent().path().address(), orphans.size());
      for (int i = orphans.size() - 1; i >= 0; i--) {
        queue.addFirst(orphans.get(i));
      }
    }
    return sendWhatCanGo();
  }

  private Behavior<Command> onCancelJob(CancelJob cancel) {
    if (cancelled.add(cancel.jobId()) && cancelled.size() > CANCELLED_JOBS_KEPT) {
      cancelled.remove(cancelled.iterator().next());
    }
    int queued = 0;
    for (Iterator<Dispatch> it = queue.iterator(); it.hasNext(); ) {
      if (it.next().jobId().equals(cancel.jobId())) {
        it.remove();
        queued++;
      }
    }
    int running = 0;
    for (Node node : nodes.values()) {
      for (Iterator<Map.Entry<Long, Dispatch>> it = node.inFlight.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<Long, Dispatch> entry = it.next();
        if (entry.getValue().jobId().equals(cancel.jobId())) {
          // The node still runs it and pulls again when done; only its result is dropped.
          out.remove(entry.getKey());
          it.remove();
          running++;
        }
      }
    }
    if (queued + running > 0) {
      getContext().getLog().info("job {} cancelled: dropped {} queued batches and {} on nodes", cancel.jobId(),
          queued, running);
    }
    return this;
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
      Dispatch dispatch = queue.pollFirst();
      long batch = nextBatch++;
      best.getValue().credits--;
      best.getValue().inFlight.put(batch, dispatch);
      out.put(batch, best.getKey());
      best.getKey().tell(new WorkBatch(batch, dispatch.jobId(), dispatch.stage(), dispatch.op(), dispatch.items(),
          results, null, dispatch.itemTimeout()));
    }
    return this;
  }
}
