package baton.node;

import java.util.List;
import java.util.function.Consumer;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.SelfUp;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Keeps a {@code baton node} process in its coordinator's cluster. Until the node has joined, it says every so often
 * that it waits for the seed. When the last coordinator leaves the cluster (stopped with Ctrl-C or SIGTERM, or
 * downed after a crash), the node leaves too; while another coordinator is a member, it takes over and the node
 * stays. It leaves so that its process starts afresh and joins the seed again: a member cannot join another cluster,
 * and the coordinator that comes back forms a new one, while the nodes left behind would stay a cluster of their
 * own with no work for ever.
 */
final class CoordinatorWatch extends AbstractBehavior<CoordinatorWatch.Command> {

  interface Command {
  }

  private enum Hint implements Command {
    INSTANCE
  }

  private record Joined(SelfUp up) implements Command {
  }

  private record Removed(ClusterEvent.MemberRemoved removed) implements Command {
  }

  private final TimerScheduler<Command> timers;
  private final Consumer<String> notices;
  private final String seeds;
  private final String tlsHint;
  private boolean hinted;
  private boolean leaving;

  /**
   * @param notices where lines for the person who started the node go (the console), besides the log
   */
  static Behavior<Command> create(NodeSettings settings, Consumer<String> notices) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      timers.startTimerAtFixedRate(Hint.INSTANCE, settings.seedHintAfter(), settings.seedHintInterval());
      return new CoordinatorWatch(context, timers, notices);
    }));
  }

  private CoordinatorWatch(ActorContext<Command> context, TimerScheduler<Command> timers, Consumer<String> notices) {
    super(context);
    context.setLoggerName(CoordinatorWatch.class);
    this.timers = timers;
    this.notices = notices;
    List<String> seedNodes = context.getSystem().settings().config().getStringList("pekko.cluster.seed-nodes");
    this.seeds = String.join(", ", seedNodes.stream().map(seed -> seed.substring(seed.indexOf('@') + 1)).toList());
    // A coordinator and a node that disagree on TLS cannot talk, and the node sees only that the seed is silent.
    boolean tls = context.getSystem().settings().config().getString("pekko.remote.artery.transport")
        .equals("tls-tcp");
    this.tlsHint = tls ? " (this node uses TLS: the coordinator must too, with a certificate from the same CA; "
        + "see this node's log for refused certificates)" : " (a coordinator started with --tls takes only nodes "
        + "with --tls)";
    Cluster cluster = Cluster.get(context.getSystem());
    ActorRef<SelfUp> up = context.messageAdapter(SelfUp.class, Joined::new);
    cluster.subscriptions().tell(Subscribe.create(up, SelfUp.class));
    ActorRef<ClusterEvent.MemberRemoved> removed =
        context.messageAdapter(ClusterEvent.MemberRemoved.class, Removed::new);
    cluster.subscriptions().tell(Subscribe.create(removed, ClusterEvent.MemberRemoved.class));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Hint.INSTANCE, this::onHint)
        .onMessage(Joined.class, this::onJoined)
        .onMessage(Removed.class, this::onRemoved)
        .build();
  }

  private Behavior<Command> onHint() {
    String hint = "waiting for the coordinator at " + seeds + " (seed); start it with `baton coordinator`, "
        + "or point --seed at it" + tlsHint;
    getContext().getLog().warn(hint);
    notices.accept(hint);
    hinted = true;
    return this;
  }

  private Behavior<Command> onJoined(Joined joined) {
    timers.cancel(Hint.INSTANCE);
    if (hinted) {
      String line = "joined the coordinator at " + seeds;
      getContext().getLog().info(line);
      notices.accept(line);
    }
    return this;
  }

  private Behavior<Command> onRemoved(Removed removed) {
    // A node on its way out (Ctrl-C, downed) sees every member removed as it goes: that is no news of the coordinator.
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(getContext().getSystem());
    if (leaving || !removed.removed().member().hasRole(ClusterSetup.COORDINATOR_ROLE)
        || !Cluster.get(getContext().getSystem()).selfMember().status().equals(MemberStatus.up())
        || shutdown.getShutdownReason().isPresent()) {
      return this;
    }
    // Another coordinator still in the cluster takes over the jobs (the singleton moves to it): the node stays.
    for (Member member : Cluster.get(getContext().getSystem()).state().getMembers()) {
      if (member.hasRole(ClusterSetup.COORDINATOR_ROLE) && !member.equals(removed.removed().member())
          && (member.status().equals(MemberStatus.up()) || member.status().equals(MemberStatus.joining())
          || member.status().equals(MemberStatus.weaklyUp()))) {
        getContext().getLog().info("the coordinator {} left the cluster; {} is still a member and takes over",
            removed.removed().member().address(), member.address());
        return this;
      }
    }
    leaving = true;
    String line = "the coordinator " + removed.removed().member().address() + " left the cluster; leaving it too, "
        + "to join " + seeds + " again when the coordinator is back";
    getContext().getLog().warn(line);
    notices.accept(line);
    // Leaves the cluster gracefully, within the phases' timeouts, and ends the actor system; baton node then starts
    // a new one that joins the seed. The batches this node held are the coordinator's to redo: it resumes its jobs
    // from their last checkpoint.
    shutdown.run(CoordinatedShutdown.clusterLeavingReason());
    return this;
  }
}
