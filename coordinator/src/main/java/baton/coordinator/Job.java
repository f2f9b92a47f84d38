package baton.coordinator;

import baton.coordinator.api.JobStatus;
import baton.coordinator.metrics.Metrics;
import baton.coordinator.stream.ErrorsFile;
import baton.coordinator.stream.Failures;
import baton.coordinator.stream.JobStream;
import baton.coordinator.stream.Outcome;
import baton.coordinator.stream.Progress;
import baton.protocol.spec.JobSpec;
import baton.protocol.spec.OpRef;
import baton.protocol.wire.CborSerializable;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.typed.JournalPersistFailed;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerBuilder;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerBuilderByState;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;

/**
 * One job. It runs the job's stream, keeps every count the stream reports, logs progress and failed items to the
 * job's own log (the job id is in the MDC), and decides the end state. All of a job's state is here and changes
 * only when a message arrives. It is event sourced: the stream's checkpoints ({@link Progress}), a stop being
 * decided, and the end go to the journal (as {@link JournalV1}'s types), so a job whose coordinator died starts
 * again where it stopped. It is a state machine of three states, running, stopping and ended, each with its own
 * command handler ({@link #commandHandler}).
 */
final class Job extends EventSourcedBehavior<Job.Command, JournalV1.JobEvent, Job.State> {

  interface Command {
  }

  /** Asks for the job's status now. */
  record GetStatus(ActorRef<Optional<JobStatus>> replyTo) implements Command {
  }

  /** Stops the job: in-flight items are abandoned and the state becomes CANCELLED. */
  record Cancel(String reason) implements Command {
  }

  /** Sent by the coordinator once it has the final status, so no status request is lost to a stopped actor. */
  enum Stop implements Command { INSTANCE }

  /**
   * What a job tells whoever started it when it has ended. {@code journaled} is false when nothing of the job is in
   * its journal (it ended before its first checkpoint): its end is then the starter's to write, the job shows it as
   * ended from now on and has no journal to delete. {@code itemNanos}: the nanoseconds per item its workers took for
   * each of its cpu ops, over this run's batches (an op with no batch answered is absent).
   */
  record Ended(JobStatus status, boolean journaled, Map<OpRef, Long> itemNanos) {
  }

  // Package-private so that a test can act at the moment the job takes it.
  enum Start implements Command { INSTANCE }

  // Side effects after a write go through these messages: each runs as a command of its own, after the commands
  // stashed during the write (a Cancel that came meanwhile, say) and in a state that shows them.
  private enum RunStream implements Command { INSTANCE }

  private enum Announce implements Command { INSTANCE }

  private record InputCount(long emitted, boolean complete) implements Command {
  }

  private record StageCount(int stage, long done) implements Command {
  }

  private record ItemFailed(Outcome.Failed failure) implements Command {
  }

  private record SinkCount(long succeeded, long filtered) implements Command {
  }

  private record NodeWorked(String node, int items) implements Command {
  }

  private record StageTimed(int stage, int items, long nanos) implements Command {
  }

  private record CheckpointReached(Progress progress) implements Command {
  }

  private record WaitingChanged(WorkDispatcher.Waiting waiting) implements Command {
  }

  private record StageThrottled(int stage, boolean waiting) implements Command {
  }

  private record StageLoad(int stage, int inFlight, double saturatedShare) implements Command {
  }

  private record StreamFinished(Throwable failure) implements Command {
  }

  private record InputCounted(long total, JournalV1.State state, String error) implements Command {
  }

  private record SinkClosed(Progress written) implements Command {
  }

  private record UnwrittenAppended(List<Outcome.Failed> lines, JournalV1.State state, String error, Throwable failure)
      implements Command {
  }

  private enum LogProgress implements Command { INSTANCE }

  // Time to tell the event stream the job's status, if it changed since it was last told (Events).
  private enum PublishStatus implements Command { INSTANCE }

  /**
   * A job's durable state, rebuilt from the journal: when it started, its last checkpoint, the stop being made
   * ({@code stopping}, with its reason) and its end. It decides which of the three command handlers runs: running
   * (nothing stopping, not ended), stopping (a stop decided, not ended) and ended. {@code progress} is null until the
   * first checkpoint, {@code end} until the job ends, {@code stoppingAt} (when the stop was decided) until a stop is
   * decided, and in journals older than it; {@code queued}: the job waited in the queue before it started.
   */
  record State(String startedAt, Progress progress, JournalV1.State stopping, String stopReason,
      JournalV1.JobSummary end, String stoppingAt, boolean queued) {

    boolean isRunning() {
      return stopping == null && end == null;
    }

    boolean isStopping() {
      return stopping != null && end == null;
    }

    boolean isEnded() {
      return end != null;
    }

    JournalV1.JobSnapshot toJournal() {
      return new JournalV1.JobSnapshot(startedAt, progress, stopping, stopReason, end, stoppingAt,
          queued ? Boolean.TRUE : null);
    }

    static State fromJournal(JournalV1.JobSnapshot snapshot) {
      return new State(snapshot.startedAt(), snapshot.progress(), snapshot.stopping(), snapshot.stopReason(),
          snapshot.end(), snapshot.stoppingAt(), Boolean.TRUE.equals(snapshot.queued()));
    }
  }

  /**
   * What the current run of the job's stream reports, on top of what the journal says earlier runs did
   * ({@code base}). It is kept apart from {@link State} on purpose: the stream counts from its own start, so every
   * start (also the one after a journal failure restarted the actor) makes a new run from the last checkpoint; the
   * counts change with every item, far too often to be events (the checkpoints are what the journal keeps of them);
   * and the kill switch is a handle on a running stream, which no journal can hold.
   */
  private static final class Run {
    final Progress base;
    final long[] stageDone;
    final long[] stageFailed;
    // Per cpu stage: the items of its answered batches, and the nanoseconds the workers took for them.
    final long[] timedItems;
    final long[] timedNanos;
    final Map<String, Long> nodeItems = new TreeMap<>();
    // What the running job waits for besides its own work (no node connected), or null.
    String waiting;
    // Per stage (1-based): whether its calls wait for its rate now, and whether the log has said so.
    final boolean[] throttled;
    final boolean[] throttleLogged;
    // The pace of this run and its stages' loads, for status.
    final Pace pace;
    // The start of a job that never ran before, until it goes to the journal with the job's next event (a
    // checkpoint, a stop): a write of its own would cost a tiny job a third of its writes. A start lost with the
    // process costs nothing: the job then starts afresh.
    JournalV1.Started unwrittenStart;
    // The end of a job that ended with nothing in its journal: it is not written here but by the coordinator, in
    // its JobEnded (one write for many jobs, and nothing to delete afterwards). Lost with the process, the job runs
    // again, as one that died before its first checkpoint does.
    JournalV1.JobSummary unwrittenEnd;
    UniqueKillSwitch killSwitch;
    long total;
    boolean inputComplete;
    long succeeded;
    long filtered;
    long failed;
    // What the event stream was last told of the counts and state (see publishIfChanged), or null.
    List<Object> published;
    // Items reported as failed whose line may not be in the errors file yet: the ones after the last checkpoint.
    // A stopped stream drops what was on its way to the output writer; these lines are then written at the end.
    final TreeMap<Long, Outcome.Failed> unwritten = new TreeMap<>();
    // What the output writer's files held when it closed, or null before; and the failed items written after it.
    Progress written;
    final List<Outcome.Failed> appended = new ArrayList<>();

    Run(JobSpec spec, Progress base, String waiting, StatusSettings statusSettings) {
      this.base = base;
      this.pace = new Pace(statusSettings, spec.stages().size(), System.nanoTime(),
          base.succeeded() + base.failed() + base.filtered());
      this.stageDone = new long[spec.stages().size() + 1];
      this.stageFailed = new long[spec.stages().size() + 1];
      this.timedItems = new long[spec.stages().size() + 1];
      this.timedNanos = new long[spec.stages().size() + 1];
      this.throttled = new boolean[spec.stages().size() + 1];
      this.throttleLogged = new boolean[spec.stages().size() + 1];
      this.total = spec.input().size().orElse(-1);
      this.inputComplete = spec.input().size().isPresent();
      this.succeeded = base.succeeded();
      this.filtered = base.filtered();
      this.waiting = waiting;
    }
  }

  /**
   * What every job of a system reads from its config and metrics, read once: config look-ups and a meter's
   * registration cost more than a tiny job's own work.
   */
  private record Shared(StatusSettings status, Duration eventInterval, Timer journalWrite) implements Extension {

    static final ExtensionId<Shared> ID = new ExtensionId<>() {
      @Override
      public Shared createExtension(ActorSystem<?> system) {
        return new Shared(StatusSettings.of(system), Events.Settings.from(system.settings().config()).jobInterval(),
            Metrics.get(system).journalWrite("job"));
      }
    };
  }

  private static final class JobAborted extends RuntimeException {
    JobAborted(String message) {
      super(message, null, false, false);
    }
  }

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final String id;
  private final JobSpec spec;
  private final JobStream.Runtime runtime;
  private final Consumer<Ended> onFinish;
  private final Instant submittedAt;
  // Whether the job waited in the queue before this actor started it (the journal's Started keeps it).
  private final boolean dequeued;
  private final StatusSettings statusSettings;
  private final Timer journalWrite;
  private final Duration eventInterval;
  // The job this one reruns, or null.
  private final String rerunOf;
  // The stream running now; see Run for why it is not part of the State.
  private Run run;
  // The times a status shows, as text and read: a status is asked for often, and formatting and parsing times
  // took a tenth of the status's cost. startedInstant is what startedText (as Instant.toString wrote it) reads as.
  private final String submittedText;
  private String startedText;
  private Instant startedInstant;

  /** A job that tells {@code onFinish} its end status, for tests and anyone who need not write its end. */
  static Behavior<Command> create(String id, JobSpec spec, JobStream.Runtime runtime, Instant submittedAt,
      ActorRef<JobStatus> onFinish) {
    return create(id, spec, runtime, submittedAt, false, null, ended -> onFinish.tell(ended.status()));
  }

  /**
   * A job that tells {@code onEnd} its end, and whether it is in the job's journal; when not, the receiver writes it
   * and then sends {@link Stop}. {@code dequeued}: it waited in the queue for one of the max-running-jobs until now;
   * {@code rerunOf}: the job this one reruns (null: none), which its status names.
   */
  static Behavior<Command> createEnding(String id, JobSpec spec, JobStream.Runtime runtime, Instant submittedAt,
      boolean dequeued, String rerunOf, ActorRef<Ended> onEnd) {
    return create(id, spec, runtime, submittedAt, dequeued, rerunOf, onEnd::tell);
  }

  private static Behavior<Command> create(String id, JobSpec spec, JobStream.Runtime runtime, Instant submittedAt,
      boolean dequeued, String rerunOf, Consumer<Ended> onFinish) {
    // Every message, not only commands: the journal's replies run the persist callbacks and the commands stashed
    // meanwhile, and the lines they log belong in the job's log too.
    @SuppressWarnings("unchecked")
    Class<Command> everyMessage = (Class<Command>) (Class<?>) Object.class;
    return Behaviors.withMdc(everyMessage, Map.of("jobId", id),
        Behaviors.setup(context -> Behaviors.withTimers(timers ->
            new Job(context, timers, id, spec, runtime, submittedAt, dequeued, rerunOf, onFinish))));
  }

  private Job(ActorContext<Command> context, TimerScheduler<Command> timers, String id, JobSpec spec,
      JobStream.Runtime runtime, Instant submittedAt, boolean dequeued, String rerunOf, Consumer<Ended> onFinish) {
    super(persistenceId(id), JournalSettings.get(context.getSystem()).onJournalFailure());
    this.context = context;
    this.timers = timers;
    this.id = id;
    this.spec = spec;
    this.runtime = runtime;
    this.onFinish = onFinish;
    this.submittedAt = submittedAt;
    this.submittedText = submittedAt.toString();
    this.dequeued = dequeued;
    Shared shared = Shared.ID.apply(context.getSystem());
    this.statusSettings = shared.status();
    this.run = new Run(spec, Progress.none(spec.stages().size()), null, statusSettings);
    this.journalWrite = shared.journalWrite();
    this.eventInterval = shared.eventInterval();
    this.rerunOf = rerunOf;
  }

  /** Where a job's events are: {@code baton-job|<id>}. */
  static PersistenceId persistenceId(String id) {
    return PersistenceId.of("baton-job", id);
  }

  @Override
  public State emptyState() {
    return new State(null, null, null, null, null, null, false);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // A checkpoint replaces the one before, so recovery only needs the latest snapshot and the events after it.
    return RetentionCriteria.snapshotEvery(100, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return state.toJournal();
      }

      @Override
      public State fromJournal(Object stored) {
        return State.fromJournal((JournalV1.JobSnapshot) stored);
      }
    };
  }

  /**
   * What the stream reports and status requests, handled alike while the job runs and while it stops (a stopping
   * job's stream still reports until it has ended).
   */
  private void onStreamReports(CommandHandlerBuilderByState<Command, JournalV1.JobEvent, State, State> byState) {
    byState.onCommand(GetStatus.class, this::onGetStatus)
        .onCommand(InputCount.class, this::onInputCount)
        .onCommand(StageCount.class, this::onStageCount)
        .onCommand(ItemFailed.class, this::onItemFailed)
        .onCommand(SinkCount.class, this::onSinkCount)
        .onCommand(NodeWorked.class, this::onNodeWorked)
        .onCommand(StageTimed.class, this::onStageTimed)
        .onCommand(WaitingChanged.class, this::onWaitingChanged)
        .onCommand(StageThrottled.class, this::onStageThrottled)
        .onCommand(StageLoad.class, this::onStageLoad)
        .onCommand(CheckpointReached.class, this::onCheckpointReached)
        .onCommand(StreamFinished.class, this::onStreamFinished)
        .onCommand(InputCounted.class, this::onInputCounted)
        .onCommand(SinkClosed.class, this::onSinkClosed)
        .onCommand(UnwrittenAppended.class, this::onUnwrittenAppended)
        .onCommand(LogProgress.class, this::onLogProgress)
        .onCommand(PublishStatus.class, (state, tick) -> {
          publishIfChanged(state);
          return Effect().none();
        })
        .onCommand(Stop.class, (state, stop) -> Effect().none());
  }

  /**
   * The commands each state takes. Running: it starts, counts, checkpoints, may be cancelled or stop itself when
   * too many items failed, and ends when its stream does. Stopping: the stop is in the journal; it still counts what
   * the aborted stream reports, and ends in the stop's state once the stream is done (or at once, when it never
   * ran). Ended: it answers with its end and waits for the coordinator's {@link Stop}.
   */
  @Override
  public CommandHandler<Command, JournalV1.JobEvent, State> commandHandler() {
    CommandHandlerBuilder<Command, JournalV1.JobEvent, State> builder = newCommandHandlerBuilder();
    // First: a job whose end is not in its journal but handed to the coordinator is ended too.
    builder.forState(state -> state.isEnded() || run.unwrittenEnd != null)
        .onCommand(GetStatus.class, (state, request) -> {
          request.replyTo().tell(Optional.of(endOf(state).toStatus()));
          return Effect().none();
        })
        .onCommand(Announce.class, (state, announce) -> {
          onFinish.accept(new Ended(endOf(state).toStatus(), state.isEnded(), itemNanos()));
          return Effect().none();
        })
        .onCommand(Stop.class, (state, stop) -> Effect().stop())
        .onAnyCommand((state, ignored) -> Effect().none());
    onStreamReports(builder.forState(State::isRunning)
        .onCommand(Start.class, this::onStart)
        .onCommand(RunStream.class, (state, start) -> Effect().none().thenRun(this::runStream))
        .onCommand(Cancel.class, this::onCancel));
    onStreamReports(builder.forState(State::isStopping)
        // Started again after a restart, or never started (a cancel came between writing Started and running the
        // stream, so no op is ever called): it ends the way it was going to end.
        .onCommand(Start.class, this::onStart)
        .onCommand(RunStream.class, (state, start) -> endWithStop(state))
        .onCommand(Cancel.class, (state, cancel) -> Effect().none()));
    return builder.build();
  }

  private JournalV1.JobSummary endOf(State state) {
    return state.isEnded() ? state.end() : run.unwrittenEnd;
  }

  @Override
  public EventHandler<State, JournalV1.JobEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(JournalV1.Started.class, (s, e) -> new State(e.startedAt(), s.progress(), s.stopping(),
            s.stopReason(), null, s.stoppingAt(), Boolean.TRUE.equals(e.queued())))
        .onEvent(JournalV1.Progressed.class, (s, e) -> new State(s.startedAt(), e.progress(), s.stopping(),
            s.stopReason(), null, s.stoppingAt(), s.queued()))
        .onEvent(JournalV1.Stopping.class, (s, e) -> new State(s.startedAt(), s.progress(), e.state(), e.reason(),
            null, e.at(), s.queued()))
        .onEvent(JournalV1.Ended.class, (s, e) -> new State(s.startedAt(), s.progress(), s.stopping(),
            s.stopReason(), e.job(), s.stoppingAt(), s.queued()))
        .build();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          // After a restart (the journal failed), the stream of the run before is gone with its materializer; its
          // completion, still on the way, must not end this run.
          run.killSwitch = null;
          if (state.isEnded()) {
            onFinish.accept(new Ended(state.end().toStatus(), true, Map.of()));
          } else {
            context.getSelf().tell(Start.INSTANCE);
          }
        })
        .onSignal(JournalPersistFailed.class, (state, failed) -> onJournalFailed("write to", failed.getFailure()))
        .onSignal(RecoveryFailed.class, (state, failed) -> onJournalFailed("read", failed.getFailure()))
        .build();
  }

  private void onJournalFailed(String what, Throwable failure) {
    context.getLog().warn("job {} could not {} the journal: {}; it starts again in a moment from its last "
        + "checkpoint", id, what, JournalWatch.reason(failure));
    JournalWatch.report(context.getSystem(), persistenceId().id(), failure);
  }

  private Effect<JournalV1.JobEvent, State> onStart(State state, Start start) {
    // A start after a restart (the journal failed) counts this run afresh on top of the last checkpoint; what the
    // job waits for stays until the dispatcher says otherwise.
    run = new Run(spec, state.progress() == null ? Progress.none(spec.stages().size()) : state.progress(),
        run.waiting, statusSettings);
    if (state.isStopping()) {
      // It was being stopped when the coordinator died: end it the way it was going to end.
      return endWithStop(state);
    }
    if (state.startedAt() == null) {
      context.getLog().info("accepted job {} ({}): input {}, stages {}{}", id, spec.name(), describe(spec.input()),
          stageNames(), spec.output().map(path -> ", output " + path).orElse(""));
      run.unwrittenStart = new JournalV1.Started(Instant.now().toString(), dequeued ? Boolean.TRUE : null);
      // The stream starts as a command of its own, after any Cancel that came with the start.
      return Effect().none().thenRun(started -> context.getSelf().tell(RunStream.INSTANCE));
    }
    context.getLog().info("resuming job {} after a restart: {} items already done", id,
        run.base.succeeded() + run.base.failed() + run.base.filtered());
    return Effect().none().thenRun(this::runStream);
  }

  private void runStream(State state) {
    ActorRef<Command> self = context.getSelf();
    JobStream stream = new JobStream(id, spec, runtime, new JobStream.Listener() {
      @Override
      public void input(long emitted, boolean complete) {
        self.tell(new InputCount(emitted, complete));
      }

      @Override
      public void stage(int stage, long done) {
        self.tell(new StageCount(stage, done));
      }

      @Override
      public void failed(Outcome.Failed failure) {
        self.tell(new ItemFailed(failure));
      }

      @Override
      public void sink(long succeeded, long filtered) {
        self.tell(new SinkCount(succeeded, filtered));
      }

      @Override
      public void worked(String node, int items) {
        self.tell(new NodeWorked(node, items));
      }

      @Override
      public void timed(int stage, int items, long nanos) {
        self.tell(new StageTimed(stage, items, nanos));
      }

      @Override
      public void checkpoint(Progress progress) {
        self.tell(new CheckpointReached(progress));
      }

      @Override
      public void closed(Progress written) {
        self.tell(new SinkClosed(written));
      }

      @Override
      public void throttled(int stage, boolean waiting) {
        self.tell(new StageThrottled(stage, waiting));
      }

      @Override
      public void load(int stage, int inFlight, double saturatedShare) {
        self.tell(new StageLoad(stage, inFlight, saturatedShare));
      }
    }, run.base, context.messageAdapter(WorkDispatcher.Waiting.class, WaitingChanged::new));
    Pair<UniqueKillSwitch, CompletionStage<Done>> running = stream.run(Materializer.createMaterializer(context));
    run.killSwitch = running.first();
    context.pipeToSelf(running.second(), (done, failure) -> new StreamFinished(failure));
    timers.startTimerWithFixedDelay(LogProgress.INSTANCE, runtime.settings().progressInterval());
    timers.startTimerWithFixedDelay(PublishStatus.INSTANCE, eventInterval);
    publishIfChanged(state);
    context.getLog().info("started job {}", id);
  }

  private Effect<JournalV1.JobEvent, State> onGetStatus(State state, GetStatus request) {
    request.replyTo().tell(Optional.of(status(state)));
    return Effect().none();
  }

  /** The status of a job that runs or stops, as {@code status} shows it, with its pace. */
  private JobStatus status(State state) {
    JournalV1.State now = state.isStopping() ? state.stopping() : JournalV1.State.RUNNING;
    JobStatus status = withThrottled(summary(state, now, state.stopReason(), null)
        .toStatus(now == JournalV1.State.RUNNING ? run.waiting : null));
    return withPace(state, status);
  }

  /**
   * The status with the run's recent pace, the time left at that pace (while it runs and its total is known) and
   * its bottleneck (while it runs).
   */
  private JobStatus withPace(State state, JobStatus status) {
    long nanos = System.nanoTime();
    long finished = finishedItems();
    Double perSecond = run.pace.perSecond(nanos, finished);
    Long eta = state.isRunning() && run.inputComplete && run.total >= 0 && perSecond != null && perSecond > 0
        ? Math.round(Math.max(0, run.total - finished) * 1000 / perSecond) : null;
    int bottleneck = state.isRunning() ? run.pace.bottleneck(nanos) : 0;
    return status.withPace(perSecond, eta, bottleneck == 0 ? null : stageLabel(bottleneck));
  }

  /** A stage as {@code status} names it: its op, and its index when another stage has the same op. */
  private String stageLabel(int index) {
    String name = spec.stages().get(index - 1).name();
    boolean shared = spec.stages().stream().filter(stage -> stage.name().equals(name)).count() > 1;
    return shared ? name + " (stage " + index + ")" : name;
  }

  private long finishedItems() {
    return run.succeeded + run.base.failed() + run.failed + run.filtered;
  }

  /**
   * Tells the event stream the job's status when its state or counts changed since it last did; its duration alone
   * going on is no news. A timer calls this every {@code baton.http.events.job-interval} while the stream runs.
   */
  private void publishIfChanged(State state) {
    JobStatus status = status(state);
    List<Object> now = Arrays.asList(status.state(), status.items(), status.stages(), status.nodes(),
        status.waiting());
    if (!now.equals(run.published)) {
      run.published = now;
      Events.publish(context.getSystem(), status);
    }
  }

  /**
   * The status with each stage's calls in flight and its parallelism, and each stage whose calls wait for its rate
   * now saying so.
   */
  private JobStatus withThrottled(JobStatus status) {
    List<JobStatus.StageStatus> stages = new ArrayList<>(status.stages().size());
    for (JobStatus.StageStatus stage : status.stages()) {
      int index = stages.size() + 1;
      JobSpec.Stage specStage = spec.stages().get(index - 1);
      stages.add(new JobStatus.StageStatus(stage.op(), stage.kind(), stage.done(), stage.failed(),
          run.throttled[index] ? specStage.rate().map(JobSpec.Rate::text).orElse(null) : null,
          run.pace.inFlight(index), specStage.parallelism()));
    }
    return status.withStages(stages);
  }

  private Effect<JournalV1.JobEvent, State> onStageLoad(State state, StageLoad load) {
    long nanos = System.nanoTime();
    run.pace.load(nanos, load.stage(), load.inFlight(), load.saturatedShare());
    run.pace.finished(nanos, finishedItems());
    return Effect().none();
  }

  private Effect<JournalV1.JobEvent, State> onStageThrottled(State state, StageThrottled throttled) {
    run.throttled[throttled.stage()] = throttled.waiting();
    if (throttled.waiting() && !run.throttleLogged[throttled.stage()]) {
      run.throttleLogged[throttled.stage()] = true;
      JobSpec.Stage stage = spec.stages().get(throttled.stage() - 1);
      context.getLog().info("stage {} ({}) is throttled: its calls wait for rate = {}", stage.index(), stage.name(),
          stage.rate().map(JobSpec.Rate::text).orElse("?"));
    }
    return Effect().none();
  }

  private Effect<JournalV1.JobEvent, State> onCancel(State state, Cancel cancel) {
    context.getLog().info("cancelling job {}: {}", id, cancel.reason());
    return stop(JournalV1.State.CANCELLED, cancel.reason());
  }

  private Effect<JournalV1.JobEvent, State> stop(JournalV1.State state, String reason) {
    return persist(new JournalV1.Stopping(state, reason, Instant.now().toString())).thenRun(stopping -> {
      publishIfChanged(stopping);
      if (run.killSwitch != null) {
        run.killSwitch.abort(new JobAborted(reason));
      }
      // Batches still queued for the nodes are dropped, and results of those on a node are ignored.
      runtime.dispatcher().tell(new WorkDispatcher.CancelJob(id));
    });
  }

  private Effect<JournalV1.JobEvent, State> onInputCount(State state, InputCount count) {
    // An input's size, once known, stays; until then the count only grows, also when a stop cuts the input short.
    if (!run.inputComplete) {
      run.total = Math.max(run.total, count.emitted());
      run.inputComplete = count.complete();
    }
    return Effect().none();
  }

  private Effect<JournalV1.JobEvent, State> onStageCount(State state, StageCount count) {
    run.stageDone[count.stage()] = Math.max(run.stageDone[count.stage()], count.done());
    return Effect().none();
  }

  private Effect<JournalV1.JobEvent, State> onItemFailed(State state, ItemFailed message) {
    Outcome.Failed failure = message.failure();
    if (spec.errors().isPresent() && (run.written == null || !run.written.includes(failure.seq()))
        && run.appended.stream().noneMatch(done -> done.seq() == failure.seq())) {
      run.unwritten.put(failure.seq(), failure);
    }
    run.failed++;
    run.stageFailed[failure.stage()]++;
    run.pace.finished(System.nanoTime(), finishedItems());
    context.getLog().warn("item failed: key {} in stage {} ({}): {}", failure.key(), failure.stage(),
        spec.stages().get(failure.stage() - 1).name(), failure.reason());
    long failedInAll = run.base.failed() + run.failed;
    if (failedInAll > spec.maxFailedItems() && state.isRunning()) {
      // Items in flight may still fail before the stop takes effect, so the error says when it stopped, not how
      // many failed in the end: the counts say that.
      String failedItems = failedInAll + (failedInAll == 1 ? " item" : " items");
      context.getLog().error("stopping job {}: {} failed, more than max-failed-items = {}", id, failedItems,
          spec.maxFailedItems());
      return stop(JournalV1.State.FAILED, "stopped after " + failedItems + " failed (max-failed-items = "
          + spec.maxFailedItems() + ")");
    }
    return Effect().none();
  }

  private Effect<JournalV1.JobEvent, State> onSinkCount(State state, SinkCount count) {
    run.succeeded = Math.max(run.succeeded, count.succeeded());
    run.filtered = Math.max(run.filtered, count.filtered());
    run.pace.finished(System.nanoTime(), finishedItems());
    return Effect().none();
  }

  private Effect<JournalV1.JobEvent, State> onNodeWorked(State state, NodeWorked worked) {
    run.nodeItems.merge(worked.node(), (long) worked.items(), Long::sum);
    return Effect().none();
  }

  private Effect<JournalV1.JobEvent, State> onStageTimed(State state, StageTimed timed) {
    run.timedItems[timed.stage()] += timed.items();
    run.timedNanos[timed.stage()] += timed.nanos();
    return Effect().none();
  }

  /** The nanoseconds per item of each cpu op this run has answered batches of; stages of one op count together. */
  private Map<OpRef, Long> itemNanos() {
    Map<OpRef, long[]> sums = new HashMap<>();
    for (JobSpec.Stage stage : spec.stages()) {
      if (run.timedItems[stage.index()] > 0) {
        long[] sum = sums.computeIfAbsent(stage.ref(), op -> new long[2]);
        sum[0] += run.timedItems[stage.index()];
        sum[1] += run.timedNanos[stage.index()];
      }
    }
    Map<OpRef, Long> nanos = new HashMap<>();
    sums.forEach((op, sum) -> nanos.put(op, Math.max(1, sum[1] / sum[0])));
    return Map.copyOf(nanos);
  }

  private Effect<JournalV1.JobEvent, State> onWaitingChanged(State state, WaitingChanged changed) {
    run.waiting = changed.waiting().waiting() ? changed.waiting().text() : null;
    context.getLog().info(changed.waiting().text());
    return Effect().none();
  }

  private Effect<JournalV1.JobEvent, State> onCheckpointReached(State state, CheckpointReached reached) {
    run.unwritten.keySet().removeIf(reached.progress()::includes);
    return persist(new JournalV1.Progressed(reached.progress()));
  }

  private Effect<JournalV1.JobEvent, State> onStreamFinished(State state, StreamFinished finished) {
    if (run.killSwitch == null) {
      return Effect().none();
    }
    timers.cancelAll();
    if (state.isStopping()) {
      return endWithStop(state);
    }
    if (finished.failure() == null) {
      return endWith(state, JournalV1.State.SUCCEEDED, null);
    }
    return endWith(state, JournalV1.State.FAILED, Failures.reason(finished.failure(), spec.itemTimeout()));
  }

  private Effect<JournalV1.JobEvent, State> endWithStop(State state) {
    return endWith(state, state.stopping(), state.stopReason());
  }

  private Effect<JournalV1.JobEvent, State> onSinkClosed(State state, SinkClosed closed) {
    run.written = closed.written();
    run.unwritten.keySet().removeIf(closed.written()::includes);
    return Effect().none();
  }

  private Effect<JournalV1.JobEvent, State> onUnwrittenAppended(State state, UnwrittenAppended appended) {
    if (appended.failure() != null) {
      context.getLog().warn("could not write the failed items to {}: {}", spec.errors().orElseThrow(),
          Failures.reason(appended.failure(), spec.itemTimeout()));
    }
    // Only the lines this append wrote: a failure reported while it ran is still unwritten, and endWith appends it
    // in turn (counting it as appended before would count one item more than the file holds).
    run.appended.addAll(appended.lines());
    appended.lines().forEach(line -> run.unwritten.remove(line.seq()));
    return endWith(state, appended.state(), appended.error());
  }

  /**
   * Makes the failed counts and the errors file agree once the output writer has closed: a stopped stream may have
   * brought failed items to the file whose report came too late, and dropped others on their way that were
   * reported. The file's count is the truth, plus the dropped ones, which {@link #endWith} then writes.
   */
  private void countFailedAsWritten() {
    Progress written = run.written;
    if (written == null || spec.errors().isEmpty()) {
      return;
    }
    List<Outcome.Failed> after = new ArrayList<>(run.appended);
    after.addAll(run.unwritten.values());
    run.failed = written.failed() - run.base.failed() + after.size();
    for (int stage = 1; stage < run.stageFailed.length; stage++) {
      int at = stage;
      run.stageFailed[stage] = written.stageFailed()[stage] - run.base.stageFailed()[stage]
          + after.stream().filter(failed -> failed.stage() == at).count();
    }
  }

  private Effect<JournalV1.JobEvent, State> endWith(State state, JournalV1.State end, String error) {
    countFailedAsWritten();
    if (run.written != null && !run.unwritten.isEmpty() && spec.errors().isPresent()) {
      List<Outcome.Failed> lines = List.copyOf(run.unwritten.values());
      List<String> ops = spec.stages().stream().map(JobSpec.Stage::name).toList();
      Path file = spec.errors().get();
      context.pipeToSelf(runtime.io().blocking(() -> {
        try {
          ErrorsFile.append(file, lines, ops);
          return Done.getInstance();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }), (done, failure) -> new UnwrittenAppended(lines, end, error, failure));
      return Effect().none();
    }
    if (!run.inputComplete && spec.input() instanceof JobSpec.Lines lines) {
      // The job stopped before it read all its lines: the ones not read are not run, and count in the total.
      run.inputComplete = true;
      long total = run.total;
      context.pipeToSelf(JobStream.countLines(lines.file(), runtime),
          (count, failure) -> new InputCounted(failure == null ? count : total, end, error));
      return Effect().none();
    }
    JournalV1.JobSummary summary = summary(state, end, error, Instant.now());
    if (state.startedAt() == null) {
      // Nothing of the job is in its journal (no checkpoint, no stop): the coordinator writes its end, and nobody
      // sees it as ended through the coordinator before that.
      run.unwrittenStart = null;
      run.unwrittenEnd = summary;
      logEnd(summary);
      context.getSelf().tell(Announce.INSTANCE);
      return Effect().none();
    }
    // The end line is written before anyone can see the job as ended (the commands stashed during the persist run
    // after this callback): a `baton run` that sees the end stops the process.
    return persist(new JournalV1.Ended(summary)).thenRun(ended -> {
      // The event stream hears the end from the coordinator, once its JobEnded is written (for every job alike).
      logEnd(summary);
      context.getSelf().tell(Announce.INSTANCE);
    });
  }

  /**
   * Writes an event, with the job's start before it when that is not written yet: both in one write. The write is
   * timed for the metrics.
   */
  private EffectBuilder<JournalV1.JobEvent, State> persist(JournalV1.JobEvent event) {
    JournalV1.Started start = run.unwrittenStart;
    long writing = System.nanoTime();
    if (start == null) {
      return Effect().persist(event).thenRun(written -> timeWrite(writing));
    }
    run.unwrittenStart = null;
    return Effect().persist(List.of(start, event)).thenRun(written -> timeWrite(writing));
  }

  private void timeWrite(long started) {
    journalWrite.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
  }

  private Effect<JournalV1.JobEvent, State> onInputCounted(State state, InputCounted counted) {
    run.total = Math.max(run.total, counted.total());
    return endWith(state, counted.state(), counted.error());
  }

  private void logEnd(JournalV1.JobSummary end) {
    String line = "job {} {} in {} ms: {} items, {} succeeded, {} failed, {} filtered, {} not run{}";
    JournalV1.Counts counts = end.counts();
    Object[] args = {id, end.state(), end.durationMillis(), counts.total(), counts.succeeded(), counts.failed(),
        counts.filtered(), counts.notRun(), end.error() == null ? "" : "; " + end.error()};
    if (end.state() == JournalV1.State.SUCCEEDED) {
      context.getLog().info(line, args);
    } else {
      context.getLog().warn(line, args);
    }
  }

  private Effect<JournalV1.JobEvent, State> onLogProgress(State state, LogProgress tick) {
    StringBuilder line = new StringBuilder();
    line.append(run.succeeded + run.base.failed() + run.failed + run.filtered).append('/')
        .append(run.total < 0 ? "?" : Long.toString(run.total)).append(" items done");
    for (JobSpec.Stage stage : spec.stages()) {
      line.append("; stage ").append(stage.index()).append(' ').append(stage.name())
          .append(": done ").append(run.base.stageDone()[stage.index()] + run.stageDone[stage.index()])
          .append(", failed ").append(run.base.stageFailed()[stage.index()] + run.stageFailed[stage.index()]);
    }
    context.getLog().info("progress: {}", line);
    return Effect().none();
  }

  private JournalV1.JobSummary summary(State state, JournalV1.State now, String error, Instant finishedAt) {
    Progress done = run.base;
    List<JournalV1.StageCounts> stages = new ArrayList<>();
    for (JobSpec.Stage stage : spec.stages()) {
      stages.add(new JournalV1.StageCounts(stage.name(), stage.kind().name(),
          done.stageDone()[stage.index()] + run.stageDone[stage.index()],
          done.stageFailed()[stage.index()] + run.stageFailed[stage.index()]));
    }
    String started = state.startedAt() != null ? state.startedAt()
        : run.unwrittenStart != null ? run.unwrittenStart.startedAt() : null;
    if (started != null && !started.equals(startedText)) {
      startedText = started;
      startedInstant = JournalV1.instant(started);
    }
    Instant startedAt = started == null ? null : startedInstant;
    Instant end = finishedAt == null ? Instant.now() : finishedAt;
    long millis = startedAt == null ? 0 : Duration.between(startedAt, end).toMillis();
    long failedItems = done.failed() + run.failed;
    long finished = finishedItems();
    long items = run.total;
    long notRun = 0;
    if (now.isFinal()) {
      // The items a stopped job never finished are not run; an input cut short counts at least what it read.
      items = Math.max(run.total, finished);
      notRun = items - finished;
    }
    return new JournalV1.JobSummary(id, spec.name(), now, millis,
        new JournalV1.Counts(items, run.succeeded, failedItems, run.filtered, notRun), List.copyOf(stages), error,
        spec.output().map(Object::toString).orElse(null), submittedText,
        startedAt == null ? null : startedText, finishedAt == null ? null : finishedAt.toString(),
        run.nodeItems.entrySet().stream().map(e -> new JournalV1.NodeCount(e.getKey(), e.getValue())).toList(),
        JournalV1.millisPerState(state.startedAt() != null ? state.queued() : dequeued, submittedAt, startedAt,
            state.stoppingAt() == null ? null : JournalV1.instant(state.stoppingAt()), end),
        spec.errors().map(Object::toString).orElse(null), rerunOf);
  }

  private String stageNames() {
    return String.join(" -> ", spec.stages().stream().map(s -> s.name() + " (" + s.kind().label() + ")").toList());
  }

  private static String describe(JobSpec.Input input) {
    if (input instanceof JobSpec.Files files) {
      return "files " + files.glob() + " (" + files.files().size() + " files)";
    }
    if (input instanceof JobSpec.Range range) {
      return "range " + range.from() + ".." + range.to();
    }
    if (input instanceof JobSpec.Keys keys) {
      return "the " + keys.keys().size() + " keys of a rerun";
    }
    return "lines of " + ((JobSpec.Lines) input).file();
  }
}
