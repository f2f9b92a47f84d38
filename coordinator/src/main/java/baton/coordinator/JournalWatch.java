package baton.coordinator;

import baton.protocol.op.Reasons;
import baton.protocol.wire.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.JournalPersistFailed;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.slf4j.event.Level;

/**
 * Knows whether the journal works. A persistent actor whose journal fails reports it ({@link #report}, through the
 * event stream) and restarts with a backoff; from then on this watch tries the journal itself every
 * {@code baton.journal.probe-interval}, writing and reading an event of its own, until a try works. Meanwhile
 * {@code /api/health} says the journal is down and why. A journal down longer than {@code baton.journal.max-down}
 * makes the watch log one line and stop; the process's guardian then ends the process, so that a supervisor
 * (systemd, Kubernetes) starts it again.
 */
public final class JournalWatch extends AbstractBehavior<JournalWatch.Command> {

  public interface Command {
  }

  /** A persistent actor's journal failed; published on the event stream by {@link #report}. */
  public record Failed(String persistenceId, String reason) implements Command {
  }

  /** Asks whether the journal works. */
  public record GetState(ActorRef<State> replyTo) implements Command {
  }

  /**
   * The answer to {@link GetState}.
   *
   * @param down why the journal does not work; empty when it works
   * @param downFor since when it does not work; zero when it works
   */
  public record State(Optional<String> down, Duration downFor) {
  }

  private record ProbeAnswered(String failure) implements Command {
  }

  private record ProbeStopped(ActorRef<Probe.Command> probe) implements Command {
  }

  private enum GiveUp implements Command { INSTANCE }

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final JournalSettings settings;
  private Instant downSince;
  private String reason;
  private ActorRef<Probe.Command> probe;
  private int probes;

  public static Behavior<Command> create(JournalSettings settings) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      context.getSystem().eventStream().tell(new EventStream.Subscribe<>(Failed.class, context.getSelf().narrow()));
      return new JournalWatch(context, timers, settings);
    }));
  }

  /** Tells the watch, if there is one, that the journal failed for {@code persistenceId}. */
  static void report(ActorSystem<?> system, String persistenceId, Throwable failure) {
    system.eventStream().tell(new EventStream.Publish<>(new Failed(persistenceId, reason(failure))));
  }

  private JournalWatch(ActorContext<Command> context, TimerScheduler<Command> timers, JournalSettings settings) {
    super(context);
    this.context = context;
    this.timers = timers;
    this.settings = settings;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Failed.class, this::onFailed)
        .onMessage(GetState.class, this::onGetState)
        .onMessage(ProbeAnswered.class, this::onProbeAnswered)
        .onMessage(ProbeStopped.class, this::onProbeStopped)
        .onMessage(GiveUp.class, message -> onGiveUp())
        .build();
  }

  private Behavior<Command> onFailed(Failed failed) {
    reason = failed.reason();
    if (downSince == null) {
      downSince = Instant.now();
      context.getLog().warn("the journal failed for {}: {}; trying it again every {} s, for at most {} s",
          failed.persistenceId(), failed.reason(), settings.probeInterval().toSeconds(),
          settings.maxDown().toSeconds());
      timers.startSingleTimer(GiveUp.INSTANCE, settings.maxDown());
      startProbe();
    }
    return this;
  }

  private Behavior<Command> onGetState(GetState request) {
    request.replyTo().tell(downSince == null ? new State(Optional.empty(), Duration.ZERO)
        : new State(Optional.of(reason), Duration.between(downSince, Instant.now())));
    return this;
  }

  private Behavior<Command> onProbeAnswered(ProbeAnswered answer) {
    if (downSince == null) {
      return this;
    }
    if (answer.failure() != null) {
      reason = answer.failure();
      return this;
    }
    context.getLog().info("the journal works again, after {} s", Duration.between(downSince, Instant.now())
        .toSeconds());
    downSince = null;
    reason = null;
    timers.cancel(GiveUp.INSTANCE);
    return this;
  }

  private Behavior<Command> onProbeStopped(ProbeStopped stopped) {
    if (stopped.probe().equals(probe)) {
      probe = null;
      // The journal failed again while the last probe was on its way out.
      if (downSince != null) {
        startProbe();
      }
    }
    return this;
  }

  private Behavior<Command> onGiveUp() {
    if (downSince == null) {
      return this;
    }
    context.getLog().error("the journal has been unreachable for {} s: {}; exiting so a supervisor can restart the "
        + "coordinator", Duration.between(downSince, Instant.now()).toSeconds(), reason);
    return Behaviors.stopped();
  }

  /** One probe at a time: two would write the same persistence id at once. */
  private void startProbe() {
    if (probe == null) {
      probe = context.spawn(Probe.create(context.getSelf(), settings), "probe-" + ++probes);
      context.watchWith(probe, new ProbeStopped(probe));
    }
  }

  /** The cause's first line: what a user can act on. */
  static String reason(Throwable failure) {
    Throwable cause = Reasons.root(failure);
    String message = Reasons.text(cause).lines().findFirst().orElse(cause.getClass().getSimpleName());
    return message.length() > 300 ? message.substring(0, 300) + "..." : message;
  }

  /**
   * Writes one event and reads it back, as every persistent actor does when it starts; it tells the watch how that
   * went and, on a failure, tries again after {@code probe-interval} (a restart with backoff), until a try works.
   */
  static final class Probe extends EventSourcedBehavior<Probe.Command, Probe.Checked, Probe.Checks> {

    interface Command {
    }

    private enum Check implements Command { INSTANCE }

    /** A try of the journal that worked. */
    record Checked(String at) implements CborSerializable {
    }

    /** How many tries worked; only the snapshot needs it. */
    record Checks(long count) implements CborSerializable {
    }

    private final ActorContext<Command> context;
    private final ActorRef<JournalWatch.Command> watch;

    static Behavior<Command> create(ActorRef<JournalWatch.Command> watch, JournalSettings settings) {
      return Behaviors.setup(context -> new Probe(context, watch, settings));
    }

    private Probe(ActorContext<Command> context, ActorRef<JournalWatch.Command> watch, JournalSettings settings) {
      super(PersistenceId.ofUniqueId("baton-journal-probe"), SupervisorStrategy
          .restartWithBackoff(settings.probeInterval(), settings.probeInterval(), 0.1).withLogLevel(Level.DEBUG));
      this.context = context;
      this.watch = watch;
    }

    @Override
    public Checks emptyState() {
      return new Checks(0);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
      return RetentionCriteria.snapshotEvery(10, 1).withDeleteEventsOnSnapshot();
    }

    @Override
    public CommandHandler<Command, Checked, Checks> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Check.class, (checks, check) -> Effect().persist(new Checked(Instant.now().toString()))
              .thenRun(state -> watch.tell(new ProbeAnswered(null)))
              .thenStop())
          .build();
    }

    @Override
    public EventHandler<Checks, Checked> eventHandler() {
      return newEventHandlerBuilder().forAnyState()
          .onEvent(Checked.class, (checks, checked) -> new Checks(checks.count() + 1))
          .build();
    }

    @Override
    public SignalHandler<Checks> signalHandler() {
      return newSignalHandlerBuilder()
          .onSignal(RecoveryCompleted.instance(), checks -> context.getSelf().tell(Check.INSTANCE))
          .onSignal(JournalPersistFailed.class, (checks, failed) ->
              watch.tell(new ProbeAnswered(reason(failed.getFailure()))))
          .onSignal(RecoveryFailed.class, (checks, failed) ->
              watch.tell(new ProbeAnswered(reason(failed.getFailure()))))
          .build();
    }
  }
}
