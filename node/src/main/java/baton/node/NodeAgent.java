package baton.node;

import baton.protocol.wire.BatchStarted;
import baton.protocol.wire.Pull;
import baton.protocol.wire.ServiceKeys;
import baton.protocol.wire.Wire;
import baton.protocol.wire.WorkBatch;
import baton.protocol.wire.WorkResult;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * A node's link to the coordinator. It finds the coordinator's dispatcher through the Receptionist, pulls as many
 * batches as its workers can take (baton.node.batches-per-worker each, so none waits for the next), hands them to the local
 * {@link WorkerPool}, passes each start and result to whoever asked for it, and pulls one more batch per result
 * from the dispatcher that sent it. A dispatcher new to it gets a full load at once; every baton.node.pull-refresh
 * the agent restates it, which replaces (never adds to) the load the dispatcher keeps for the node, and registers the
 * node again if the dispatcher lost sight of it.
 */
public final class NodeAgent extends AbstractBehavior<NodeAgent.Command> {

  /** What the agent receives: all of it adapted from protocol messages. */
  public interface Command {
  }

  private record Dispatchers(Receptionist.Listing listing) implements Command {
  }

  private record Assigned(WorkBatch batch) implements Command {
  }

  // Time to restate this node's full load to the dispatcher it pulls from (baton.node.pull-refresh).
  private enum RefreshPull implements Command { INSTANCE }

  private record Finished(WorkResult result) implements Command {
  }

  private record Started(BatchStarted started) implements Command {
  }

  /** A batch on the local pool: where it came from, under the number its dispatcher gave it. */
  private record Assignment(long batch, ActorRef<WorkResult> replyTo, ActorRef<BatchStarted> started,
      Optional<ActorRef<Pull>> from) {
  }

  private final ActorRef<WorkBatch> pool;
  private final NodeSettings settings;
  private final ActorRef<WorkBatch> inbox;
  private final ActorRef<WorkResult> results;
  private final ActorRef<BatchStarted> starts;
  // Keyed by the agent's own numbers: a coordinator that came back numbers its batches from 0 again.
  private final Map<Long, Assignment> inFlight = new HashMap<>();
  private long nextLocal;
  private final Set<String> jobsSeen = new LinkedHashSet<>();
  // The dispatcher that got the last full load, kept while the Receptionist does not list it: it may come back.
  private Optional<ActorRef<Pull>> dispatcher = Optional.empty();
  private boolean listed;
  // A dispatcher of another wire version, refused once and said so.
  private Optional<ActorRef<Pull>> refused = Optional.empty();

  public static Behavior<Command> create(ActorRef<WorkBatch> pool, NodeSettings settings) {
    return Behaviors.withMdc(Command.class,
        message -> message instanceof Assigned assigned ? Map.of("jobId", assigned.batch().jobId()) : Map.of(),
        Behaviors.setup(context -> Behaviors.withTimers(timers -> {
          timers.startTimerWithFixedDelay(RefreshPull.INSTANCE, settings.pullRefresh());
          return new NodeAgent(context, pool, settings);
        })));
  }

  private NodeAgent(ActorContext<Command> context, ActorRef<WorkBatch> pool, NodeSettings settings) {
    super(context);
    this.pool = pool;
    this.settings = settings;
    this.inbox = context.messageAdapter(WorkBatch.class, Assigned::new);
    this.results = context.messageAdapter(WorkResult.class, Finished::new);
    this.starts = context.messageAdapter(BatchStarted.class, Started::new);
    ActorRef<Receptionist.Listing> listings = context.messageAdapter(Receptionist.Listing.class, Dispatchers::new);
    context.getSystem().receptionist().tell(Receptionist.subscribe(ServiceKeys.DISPATCHER, listings));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Dispatchers.class, this::onDispatchers)
        .onMessage(Assigned.class, this::onAssigned)
        .onMessage(Started.class, this::onStarted)
        .onMessage(Finished.class, this::onFinished)
        .onMessage(RefreshPull.class, refresh -> onRefreshPull())
        .build();
  }

  private Behavior<Command> onDispatchers(Dispatchers message) {
    Optional<ActorRef<Pull>> found = message.listing().getServiceInstances(ServiceKeys.DISPATCHER).stream().findFirst();
    if (found.isPresent() && !found.equals(dispatcher)) {
      Optional<String> mismatch = Wire.mismatch(getContext().getSystem(), found.get().path().address());
      if (mismatch.isPresent()) {
        if (!found.equals(refused)) {
          refused = found;
          getContext().getLog().error("not pulling work from the coordinator: {}", mismatch.get());
        }
        return this;
      }
      // A new coordinator: it knows nothing of batches sent by an earlier one, so ask afresh for a full load.
      dispatcher = found;
      listed = true;
      getContext().getLog().info("pulling work from {} for {} workers", found.get().path(), settings.workers());
      found.get().tell(fullLoad());
    } else if (found.isPresent() && !listed) {
      listed = true;
      getContext().getLog().info("the coordinator is back: {} still holds this node's credits", found.get().path());
    } else if (found.isEmpty() && listed) {
      listed = false;
      getContext().getLog().info("the coordinator is gone; waiting for one to come back");
    }
    return this;
  }

  /**
   * Restates the full load to the listed dispatcher. It only replaces the load the dispatcher keeps for this node,
   * so it changes nothing while the dispatcher knows the node; it registers the node again when the dispatcher lost
   * sight of it without this agent knowing (the removal of a previous incarnation of this node at the same
   * host:port ends the dispatcher's watch on this one too), which would otherwise leave the node idle for good.
   */
  private Behavior<Command> onRefreshPull() {
    if (listed && dispatcher.isPresent()) {
      dispatcher.get().tell(fullLoad());
    }
    return this;
  }

  private Pull fullLoad() {
    return Pull.fullLoad(inbox, settings.workers() * settings.batchesPerWorker(), settings.workers());
  }

  private Behavior<Command> onAssigned(Assigned assigned) {
    WorkBatch batch = assigned.batch();
    if (jobsSeen.add(batch.jobId())) {
      if (jobsSeen.size() > 1000) {
        jobsSeen.remove(jobsSeen.iterator().next());
      }
      getContext().getLog().info("working on job {}: stage {} ({})", batch.jobId(), batch.stage(), batch.op().name());
    }
    long local = nextLocal++;
    inFlight.put(local, new Assignment(batch.batch(), batch.replyTo(), batch.started(), dispatcher));
    pool.tell(new WorkBatch(local, batch.jobId(), batch.stage(), batch.op(), batch.items(), results, starts,
        batch.itemTimeout()));
    return this;
  }

  private Behavior<Command> onStarted(Started started) {
    Assignment assignment = inFlight.get(started.started().batch());
    if (assignment != null) {
      assignment.started().tell(new BatchStarted(assignment.batch()));
    }
    return this;
  }

  private Behavior<Command> onFinished(Finished finished) {
    WorkResult result = finished.result();
    Assignment assignment = inFlight.remove(result.batch());
    if (assignment == null) {
      return this;
    }
    assignment.replyTo().tell(new WorkResult(assignment.batch(), result.results(), result.node(),
        result.runNanos()));
    // The credit goes back to the dispatcher that sent the batch, listed or not; a batch from an earlier
    // coordinator earns none from the new one, which got a full load.
    assignment.from().ifPresent(from -> from.tell(Pull.oneMore(inbox, settings.workers(), assignment.batch())));
    return this;
  }
}
