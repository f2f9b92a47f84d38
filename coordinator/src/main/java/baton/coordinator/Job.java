package baton.coordinator;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.protocol.spec.JobSpec;
import baton.protocol.wire.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.typed.JournalPersistFailed;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerBuilder;
import org.apache.pekko.persistence.typed.javadsl.Effect;
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
 * decided, and the end go to the journal, so a job whose coordinator died starts again where it stopped.
 */
final class Job extends EventSourcedBehavior<Job.Command, Job.Event, Job.Record> {

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

  private record CheckpointReached(Progress progress) implements Command {
  }

  private record WaitingChanged(WorkDispatcher.Waiting waiting) implements Command {
  }

  private record StreamFinished(Throwable failure) implements Command {
  }

  private record InputCounted(long total, JobState state, String error) implements Command {
  }

  private enum LogProgress implements Command { INSTANCE }

  /** What the journal keeps of a job. */
  interface Event extends CborSerializable {
  }

  /** The job's stream started for the first time. */
  record Started(String startedAt) implements Event {
  }

  /** The output and the counts reached a checkpoint. */
  record Progressed(Progress progress) implements Event {
  }

  /** The job is being stopped (cancelled, or too many items failed); a resumed job ends at once in this state. */
  record Stopping(JobState state, String reason) implements Event {
  }

  /** The job ended. */
  record Ended(JobStatus status) implements Event {
  }

  /** A job's durable state; {@code progress} is null until the first checkpoint, {@code end} until it ends. */
  record Record(String startedAt, Progress progress, JobState stopping, String stopReason, JobStatus end)
      implements CborSerializable {
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
  private final ActorRef<JobStatus> onFinish;
  private final Instant submittedAt;
  // What this run of the stream reports, on top of what the journal says earlier runs did.
  private final long[] stageDone;
  private final long[] stageFailed;
  private final Map<String, Long> nodeItems = new TreeMap<>();
  private Progress base;
  // What the running job waits for besides its own work (no node connected), or null.
  private String waiting;
  private UniqueKillSwitch killSwitch;
  private long total;
  private boolean inputComplete;
  private long succeeded;
  private long filtered;
  private long failed;

  static Behavior<Command> create(String id, JobSpec spec, JobStream.Runtime runtime, Instant submittedAt,
      ActorRef<JobStatus> onFinish) {
    // Every message, not only commands: the journal's replies run the persist callbacks and the commands stashed
    // meanwhile, and the lines they log belong in the job's log too.
    @SuppressWarnings("unchecked")
    Class<Command> everyMessage = (Class<Command>) (Class<?>) Object.class;
    return Behaviors.withMdc(everyMessage, Map.of("jobId", id),
        Behaviors.setup(context -> Behaviors.withTimers(timers ->
            new Job(context, timers, id, spec, runtime, submittedAt, onFinish))));
  }

  private Job(ActorContext<Command> context, TimerScheduler<Command> timers, String id, JobSpec spec,
      JobStream.Runtime runtime, Instant submittedAt, ActorRef<JobStatus> onFinish) {
    super(persistenceId(id), JournalSettings.get(context.getSystem()).onJournalFailure());
    this.context = context;
    this.timers = timers;
    this.id = id;
    this.spec = spec;
    this.runtime = runtime;
    this.onFinish = onFinish;
    this.submittedAt = submittedAt;
    this.stageDone = new long[spec.stages().size() + 1];
    this.stageFailed = new long[spec.stages().size() + 1];
    this.total = spec.input().size().orElse(-1);
    this.inputComplete = spec.input().size().isPresent();
  }

  /** Where a job's events are: {@code baton-job|<id>}. */
  static PersistenceId persistenceId(String id) {
    return PersistenceId.of("baton-job", id);
  }

  @Override
  public Record emptyState() {
    return new Record(null, null, null, null, null);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // A checkpoint replaces the one before, so recovery only needs the latest snapshot and the events after it.
    return RetentionCriteria.snapshotEvery(100, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public CommandHandler<Command, Event, Record> commandHandler() {
    CommandHandlerBuilder<Command, Event, Record> builder = newCommandHandlerBuilder();
    builder.forState(record -> record.end() != null)
        .onCommand(GetStatus.class, (record, request) -> {
          request.replyTo().tell(Optional.of(record.end()));
          return Effect().none();
        })
        .onCommand(Announce.class, (record, announce) -> onAnnounce(record.end()))
        .onCommand(Stop.class, (record, stop) -> Effect().stop())
        .onAnyCommand((record, ignored) -> Effect().none());
    builder.forAnyState()
        .onCommand(Start.class, (record, start) -> onStart(record))
        .onCommand(RunStream.class, this::onRunStream)
        .onCommand(GetStatus.class, this::onGetStatus)
        .onCommand(Cancel.class, this::onCancel)
        .onCommand(InputCount.class, this::onInputCount)
        .onCommand(StageCount.class, this::onStageCount)
        .onCommand(ItemFailed.class, this::onItemFailed)
        .onCommand(SinkCount.class, this::onSinkCount)
        .onCommand(NodeWorked.class, this::onNodeWorked)
        .onCommand(WaitingChanged.class, this::onWaitingChanged)
        .onCommand(CheckpointReached.class, (record, reached) -> Effect().persist(new Progressed(reached.progress())))
        .onCommand(StreamFinished.class, this::onStreamFinished)
        .onCommand(InputCounted.class, this::onInputCounted)
        .onCommand(LogProgress.class, (record, tick) -> onLogProgress())
        .onCommand(Stop.class, (record, stop) -> Effect().none());
    return builder.build();
  }

  @Override
  public EventHandler<Record, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(Started.class, (r, e) -> new Record(e.startedAt(), r.progress(), r.stopping(), r.stopReason(), null))
        .onEvent(Progressed.class, (r, e) -> new Record(r.startedAt(), e.progress(), r.stopping(), r.stopReason(),
            null))
        .onEvent(Stopping.class, (r, e) -> new Record(r.startedAt(), r.progress(), e.state(), e.reason(), null))
        .onEvent(Ended.class, (r, e) -> new Record(r.startedAt(), r.progress(), r.stopping(), r.stopReason(),
            e.status()))
        .build();
  }

  @Override
  public SignalHandler<Record> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), record -> {
          // After a restart (the journal failed), the stream of the run before is gone with its materializer; its
          // completion, still on the way, must not end this run.
          killSwitch = null;
          if (record.end() != null) {
            onFinish.tell(record.end());
          } else {
            context.getSelf().tell(Start.INSTANCE);
          }
        })
        .onSignal(JournalPersistFailed.class, (record, failed) -> onJournalFailed("write to", failed.getFailure()))
        .onSignal(RecoveryFailed.class, (record, failed) -> onJournalFailed("read", failed.getFailure()))
        .build();
  }

  private void onJournalFailed(String what, Throwable failure) {
    context.getLog().warn("job {} could not {} the journal: {}; it starts again in a moment from its last "
        + "checkpoint", id, what, JournalWatch.reason(failure));
    JournalWatch.report(context.getSystem(), persistenceId().id(), failure);
  }

  private Effect<Event, Record> onStart(Record record) {
    base = record.progress() == null ? Progress.none(spec.stages().size()) : record.progress();
    succeeded = base.succeeded();
    filtered = base.filtered();
    // A start after a restart (the journal failed) counts this run afresh on top of the last checkpoint.
    failed = 0;
    Arrays.fill(stageDone, 0);
    Arrays.fill(stageFailed, 0);
    nodeItems.clear();
    total = spec.input().size().orElse(-1);
    inputComplete = spec.input().size().isPresent();
    if (record.stopping() != null) {
      // It was being stopped when the coordinator died: end it the way it was going to end.
      return endWith(record, record.stopping(), record.stopReason());
    }
    if (record.startedAt() == null) {
      context.getLog().info("accepted job {} ({}): input {}, stages {}{}", id, spec.name(), describe(spec.input()),
          stageNames(), spec.output().map(path -> ", output " + path).orElse(""));
      return Effect().persist(new Started(Instant.now().toString()))
          .thenRun(started -> context.getSelf().tell(RunStream.INSTANCE));
    }
    context.getLog().info("resuming job {} after a restart: {} items already done", id,
        base.succeeded() + base.failed() + base.filtered());
    return Effect().none().thenRun(this::runStream);
  }

  private Effect<Event, Record> onRunStream(Record record, RunStream run) {
    if (record.stopping() != null) {
      // A cancel came between writing Started and this: the stream never starts, so no op is ever called.
      return endWith(record, record.stopping(), record.stopReason());
    }
    return Effect().none().thenRun(this::runStream);
  }

  private void runStream(Record record) {
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
      public void checkpoint(Progress progress) {
        self.tell(new CheckpointReached(progress));
      }
    }, base, context.messageAdapter(WorkDispatcher.Waiting.class, WaitingChanged::new));
    Pair<UniqueKillSwitch, CompletionStage<Done>> running = stream.run(Materializer.createMaterializer(context));
    killSwitch = running.first();
    context.pipeToSelf(running.second(), (done, failure) -> new StreamFinished(failure));
    timers.startTimerWithFixedDelay(LogProgress.INSTANCE, runtime.settings().progressInterval());
    context.getLog().info("started job {}", id);
  }

  private Effect<Event, Record> onGetStatus(Record record, GetStatus request) {
    JobState state = record.stopping() == null ? JobState.RUNNING : record.stopping();
    request.replyTo().tell(Optional.of(status(record, state, record.stopReason(), null)));
    return Effect().none();
  }

  private Effect<Event, Record> onCancel(Record record, Cancel cancel) {
    if (record.stopping() != null) {
      return Effect().none();
    }
    context.getLog().info("cancelling job {}: {}", id, cancel.reason());
    return stop(JobState.CANCELLED, cancel.reason());
  }

  private Effect<Event, Record> stop(JobState state, String reason) {
    return Effect().persist(new Stopping(state, reason)).thenRun(record -> {
      if (killSwitch != null) {
        killSwitch.abort(new JobAborted(reason));
      }
      // Batches still queued for the nodes are dropped, and results of those on a node are ignored.
      runtime.dispatcher().tell(new WorkDispatcher.CancelJob(id));
    });
  }

  private Effect<Event, Record> onInputCount(Record record, InputCount count) {
    // An input's size, once known, stays; until then the count only grows, also when a stop cuts the input short.
    if (!inputComplete) {
      total = Math.max(total, count.emitted());
      inputComplete = count.complete();
    }
    return Effect().none();
  }

  private Effect<Event, Record> onStageCount(Record record, StageCount count) {
    stageDone[count.stage()] = Math.max(stageDone[count.stage()], count.done());
    return Effect().none();
  }

  private Effect<Event, Record> onItemFailed(Record record, ItemFailed message) {
    Outcome.Failed failure = message.failure();
    failed++;
    stageFailed[failure.stage()]++;
    context.getLog().warn("item failed: key {} in stage {} ({}): {}", failure.key(), failure.stage(),
        spec.stages().get(failure.stage() - 1).name(), failure.reason());
    long failedInAll = base.failed() + failed;
    if (failedInAll > spec.maxFailedItems() && record.stopping() == null) {
      // Items in flight may still fail before the stop takes effect, so the error says when it stopped, not how
      // many failed in the end: the counts say that.
      String failedItems = failedInAll + (failedInAll == 1 ? " item" : " items");
      context.getLog().error("stopping job {}: {} failed, more than max-failed-items = {}", id, failedItems,
          spec.maxFailedItems());
      return stop(JobState.FAILED, "stopped after " + failedItems + " failed (max-failed-items = "
          + spec.maxFailedItems() + ")");
    }
    return Effect().none();
  }

  private Effect<Event, Record> onSinkCount(Record record, SinkCount count) {
    succeeded = Math.max(succeeded, count.succeeded());
    filtered = Math.max(filtered, count.filtered());
    return Effect().none();
  }

  private Effect<Event, Record> onNodeWorked(Record record, NodeWorked worked) {
    nodeItems.merge(worked.node(), (long) worked.items(), Long::sum);
    return Effect().none();
  }

  private Effect<Event, Record> onWaitingChanged(Record record, WaitingChanged changed) {
    waiting = changed.waiting().waiting() ? changed.waiting().text() : null;
    context.getLog().info(changed.waiting().text());
    return Effect().none();
  }

  private Effect<Event, Record> onStreamFinished(Record record, StreamFinished finished) {
    if (killSwitch == null) {
      return Effect().none();
    }
    timers.cancelAll();
    if (record.stopping() != null) {
      return endWith(record, record.stopping(), record.stopReason());
    }
    if (finished.failure() == null) {
      return endWith(record, JobState.SUCCEEDED, null);
    }
    return endWith(record, JobState.FAILED, Failures.reason(finished.failure(), spec.itemTimeout()));
  }

  private Effect<Event, Record> endWith(Record record, JobState state, String error) {
    if (!inputComplete && spec.input() instanceof JobSpec.Lines lines) {
      // The job stopped before it read all its lines: the ones not read are not run, and count in the total.
      inputComplete = true;
      context.pipeToSelf(JobStream.countLines(lines.file(), runtime),
          (count, failure) -> new InputCounted(failure == null ? count : total, state, error));
      return Effect().none();
    }
    JobStatus status = status(record, state, error, Instant.now());
    // The end line is written before anyone can see the job as ended (the commands stashed during the persist run
    // after this callback): a `baton run` that sees the end stops the process.
    return Effect().persist(new Ended(status)).thenRun(ended -> {
      logEnd(status);
      context.getSelf().tell(Announce.INSTANCE);
    });
  }

  private Effect<Event, Record> onInputCounted(Record record, InputCounted counted) {
    total = Math.max(total, counted.total());
    return endWith(record, counted.state(), counted.error());
  }

  private Effect<Event, Record> onAnnounce(JobStatus status) {
    onFinish.tell(status);
    return Effect().none();
  }

  private void logEnd(JobStatus status) {
    String line = "job {} {} in {} ms: {} items, {} succeeded, {} failed, {} filtered, {} not run{}";
    Object[] args = {id, status.state(), status.durationMillis(), status.items().total(), status.items().succeeded(),
        status.items().failed(), status.items().filtered(), status.items().notRun(),
        status.error() == null ? "" : "; " + status.error()};
    if (status.state() == JobState.SUCCEEDED) {
      context.getLog().info(line, args);
    } else {
      context.getLog().warn(line, args);
    }
  }

  private Effect<Event, Record> onLogProgress() {
    StringBuilder line = new StringBuilder();
    line.append(succeeded + base.failed() + failed + filtered).append('/')
        .append(total < 0 ? "?" : Long.toString(total)).append(" items done");
    for (JobSpec.Stage stage : spec.stages()) {
      line.append("; stage ").append(stage.index()).append(' ').append(stage.name())
          .append(": done ").append(base.stageDone()[stage.index()] + stageDone[stage.index()])
          .append(", failed ").append(base.stageFailed()[stage.index()] + stageFailed[stage.index()]);
    }
    context.getLog().info("progress: {}", line);
    return Effect().none();
  }

  private JobStatus status(Record record, JobState state, String error, Instant finishedAt) {
    Progress done = base == null ? Progress.none(spec.stages().size()) : base;
    List<JobStatus.StageStatus> stages = new ArrayList<>();
    for (JobSpec.Stage stage : spec.stages()) {
      stages.add(new JobStatus.StageStatus(stage.name(), stage.kind(),
          done.stageDone()[stage.index()] + stageDone[stage.index()],
          done.stageFailed()[stage.index()] + stageFailed[stage.index()]));
    }
    Instant startedAt = record.startedAt() == null ? null : Instant.parse(record.startedAt());
    Instant end = finishedAt == null ? Instant.now() : finishedAt;
    long millis = startedAt == null ? 0 : Duration.between(startedAt, end).toMillis();
    long failedItems = done.failed() + failed;
    long finished = succeeded + failedItems + filtered;
    long items = total;
    long notRun = 0;
    if (state.isFinal()) {
      // The items a stopped job never finished are not run; an input cut short counts at least what it read.
      items = Math.max(total, finished);
      notRun = items - finished;
    }
    return new JobStatus(id, spec.name(), state, millis,
        new JobStatus.Items(items, succeeded, failedItems, filtered, notRun), List.copyOf(stages), error,
        spec.output().map(Object::toString).orElse(null), submittedAt.toString(),
        startedAt == null ? null : startedAt.toString(), finishedAt == null ? null : finishedAt.toString(),
        nodeItems.entrySet().stream().map(e -> new JobStatus.NodeItems(e.getKey(), e.getValue())).toList(),
        state == JobState.RUNNING ? waiting : null);
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
    return "lines of " + ((JobSpec.Lines) input).file();
  }
}
