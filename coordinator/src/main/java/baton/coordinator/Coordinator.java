package baton.coordinator;

import baton.coordinator.JournalV1.JobAccepted;
import baton.coordinator.JournalV1.JobDequeued;
import baton.coordinator.JournalV1.JobEnded;
import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.coordinator.metrics.Metrics;
import baton.coordinator.spec.JobSpecParser;
import baton.coordinator.stream.ErrorsFile;
import baton.coordinator.stream.ItemTimes;
import baton.coordinator.stream.JobStream;
import baton.protocol.op.Reasons;
import baton.protocol.spec.JobSpec;
import baton.protocol.spec.SpecException;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.JournalPersistFailed;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * Accepts jobs: checks each submitted spec (off the actor's thread, since globs touch the disk), gives it an id and
 * starts a {@link Job} actor for it, or, with {@code max-running-jobs} running, queues it (highest priority first,
 * then in the order they came) and starts it when a running job ends. Keeps the finished jobs' last status for
 * {@code status} and {@code list}. It is event sourced: a coordinator started again on the same journal knows every
 * job it accepted, starts the unfinished ones again, each from its last checkpoint, and keeps the queue.
 */
public final class Coordinator
    extends EventSourcedBehavior<Coordinator.Command, JournalV1.CoordinatorEvent, Coordinator.Jobs> {

  public interface Command {
  }

  /**
   * Submits a spec as HOCON text.
   *
   * @param sourceName the name errors give for the spec, usually its file name
   * @param baseDir the folder relative paths in the spec resolve against
   * @param code the hash of the code bundle the job brought (its own ops), stored before; null: none
   */
  public record Submit(String spec, String sourceName, Path baseDir, ActorRef<SubmitReply> replyTo, String code)
      implements Command {

    /** A job without code of its own: its ops are Baton's and those installed. */
    public Submit(String spec, String sourceName, Path baseDir, ActorRef<SubmitReply> replyTo) {
      this(spec, sourceName, baseDir, replyTo, null);
    }
  }

  /** The answer to {@link Submit}. */
  public sealed interface SubmitReply {
  }

  /** The job was accepted: it has started, or it waits in the queue (state QUEUED). */
  public record Accepted(JobStatus status) implements SubmitReply {
  }

  /** The spec cannot run; the error says why, for the user. */
  public record Rejected(String error) implements SubmitReply {
  }

  /** The coordinator takes no jobs now. */
  public record Unavailable(String error) implements SubmitReply {
  }

  /** A {@link Rerun} named no job the coordinator knows. */
  public record UnknownJob(String error) implements SubmitReply {
  }

  /** A {@link Rerun} of a job that cannot be rerun now: it has not ended, or has no failed items to rerun. */
  public record CannotRerun(String error) implements SubmitReply {
  }

  /**
   * Submits a job with the spec of an ended job: over the items that failed in it ({@code failedOnly}), or over its
   * whole input. The new job writes to {@code output} if given, else to the spec's output with
   * {@code .rerun-<new id>} appended (its errors file likewise), and its status names the first in {@code rerunOf}.
   */
  public record Rerun(String id, boolean failedOnly, Optional<String> output, ActorRef<SubmitReply> replyTo)
      implements Command {
  }

  /** Asks for one job's status; empty when no job has that id. */
  public record GetJob(String id, ActorRef<Optional<JobStatus>> replyTo) implements Command {
  }

  /** Asks for every job the coordinator knows, oldest first. */
  public record ListJobs(ActorRef<List<JobStatus>> replyTo) implements Command {
  }

  /**
   * Cancels a running or queued job; answers with its status after the cancel, or empty when no job has that id.
   */
  public record CancelJob(String id, ActorRef<Optional<JobStatus>> replyTo) implements Command {
  }

  /**
   * Refuses new jobs from now on (the process is shutting down); running jobs go on, queued ones stay queued for the
   * next start.
   */
  public record StopAccepting(ActorRef<Done> replyTo) implements Command {
  }

  /** Whether the coordinator takes new jobs. */
  public record GetHealth(ActorRef<Health> replyTo) implements Command {
  }

  /** The coordinator's answer to {@link GetHealth}. */
  public record Health(boolean accepting, int runningJobs, int queuedJobs) {
  }

  /**
   * Asks how many jobs are in each state, for the metrics: the open jobs as {@code list} shows them (a job being
   * stopped counts as RUNNING until it has ended) and the finished ones it keeps ({@code finished-jobs-kept}).
   */
  public record GetJobCounts(ActorRef<Map<JobState, Integer>> replyTo) implements Command {
  }

  private record Validated(Submit submit, JobSpec spec, Throwable error) implements Command {
  }

  /**
   * Where a job's failed items are, so that the API can read them ({@code ErrorsFile}); empty when the job has none
   * to show (queued, or ended before Baton kept them).
   */
  public record FailuresFile(Optional<Path> file) {
  }

  /** Asks where a job's failed items are; empty when no job has that id. */
  public record GetFailures(String id, ActorRef<Optional<FailuresFile>> replyTo) implements Command {
  }

  // A rerun's spec and items, read from the ended job's files; output is the one asked for, or null.
  private record RerunChecked(Rerun rerun, JobFiles.JobRecord record, JobSpec spec, List<String> keys, Path output,
      Throwable error) implements Command {
  }

  // What a running job answered when a rerun of it was asked for: a job that has ended may not have told it yet.
  private record RerunOfRunning(Rerun rerun, Optional<JobStatus> status) implements Command {
  }

  private record FilesDone(String what, Throwable error) implements Command {
  }

  private record RecordWritten(String id, Throwable error) implements Command {
  }

  /** Why a rerun cannot be made now, for the user. */
  private static final class CannotRerunException extends RuntimeException {
    CannotRerunException(String message) {
      super(message, null, false, false);
    }
  }

  // A job to start again after a restart, or to start for the first time from the queue ({@code dequeued}).
  private record Resumable(JobAccepted accepted, JobSpec spec, Throwable error, boolean dequeued)
      implements Command {
  }

  private record QueuedCounted(String id, long total) implements Command {
  }

  private enum FillSlots implements Command { INSTANCE }

  private record JobFinished(Job.Ended ended) implements Command {
  }

  private record JobStopped(String id, ActorRef<Job.Command> job) implements Command {
  }

  private record Forgotten(List<String> ids, int rows, Throwable error) implements Command {
  }

  // Time to compact the journal's file, if it is due and the journal quiet (CompactionSchedule).
  private enum Compact implements Command { INSTANCE }

  private record Compacted(Throwable error) implements Command {
  }

  // Writes the accepted jobs and the ends that came since the last write, all in one write.
  private enum WriteBatch implements Command { INSTANCE }

  private record Acceptance(JobAccepted accepted, JobSpec spec, ActorRef<SubmitReply> replyTo) {

    /** The same job, accepted into the queue. */
    Acceptance queued() {
      return new Acceptance(accepted.intoQueue(), spec, replyTo);
    }
  }

  /**
   * The jobs not ended, and the last {@code finished-jobs-kept} that did, oldest first, and the queue: the open jobs
   * that wait for a slot, in the order they start. Only the event handler changes it.
   */
  static final class Jobs {
    final Map<String, JobAccepted> open = new LinkedHashMap<>();
    final Map<String, JournalV1.JobSummary> finished;
    final NavigableSet<Waiting> queue = new TreeSet<>(Waiting.ORDER);
    private final Map<String, Waiting> queued = new HashMap<>();
    // Counts accepted jobs: the order of the queue within one priority.
    private long arrivals;

    Jobs(int kept) {
      finished = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, JournalV1.JobSummary> eldest) {
          return size() > kept;
        }
      };
    }

    boolean knows(String id) {
      return open.containsKey(id) || finished.containsKey(id);
    }

    void accept(JobAccepted accepted) {
      open.put(accepted.id(), accepted);
      arrivals++;
      if (accepted.waits()) {
        Waiting waiting = new Waiting(accepted.id(), accepted.priorityOrZero(), arrivals);
        queue.add(waiting);
        queued.put(accepted.id(), waiting);
      }
    }

    void dequeue(String id) {
      Waiting waiting = queued.remove(id);
      if (waiting != null) {
        queue.remove(waiting);
        open.computeIfPresent(id, (key, accepted) -> accepted.dequeued());
      }
    }

    void end(JournalV1.JobSummary job) {
      dequeue(job.id());
      open.remove(job.id());
      finished.put(job.id(), job);
    }

    boolean isQueued(String id) {
      return queued.containsKey(id);
    }

    /** The place of a queued job, 1 for the next to start. */
    int position(String id) {
      Waiting waiting = queued.get(id);
      // A job just queued is mostly the last: its place without walking the queue, which may be long.
      return waiting.equals(queue.last()) ? queue.size() : queue.headSet(waiting).size() + 1;
    }
  }

  /** A job in the queue: higher priorities first, then the order they came. */
  record Waiting(String id, int priority, long arrival) {
    static final Comparator<Waiting> ORDER = Comparator.comparingInt((Waiting waiting) -> -waiting.priority())
        .thenComparingLong(Waiting::arrival);
  }

  private static final String CANCELLED = "cancelled by request";
  @SuppressWarnings("unchecked")
  private static final Class<Optional<JobStatus>> JOB_STATUS = (Class<Optional<JobStatus>>) (Class<?>) Optional.class;

  private static final Pattern NOT_SLUG = Pattern.compile("[^a-z0-9]+");
  private static final Pattern TRIMMED_DASHES = Pattern.compile("(^-+|-+$)");

  private final ActorContext<Command> context;
  private final CoordinatorSettings settings;
  private final JobSpecParser parser;
  private final JobStream.Runtime runtime;
  private final ActorRef<Job.Ended> finishedAdapter;
  private final JournalSettings journal;
  private final Metrics metrics;
  private final Timer journalWrite;
  private final JobFiles files;
  // The time per item of each cpu op, as the jobs that ran it measured: a job starting gets those of its ops, so a
  // tiny job of a cheap op goes to a worker in one batch. Lost with the process: the next jobs measure again.
  private final ItemTimes itemTimes;
  // Where the failed items of the jobs started by this incarnation go, until their end is written.
  private final Map<String, Path> errorsFiles = new HashMap<>();
  // What rerun needs of a job, from its start until its file is written (a tiny job may end before that); with the
  // journal in memory, for as long as the job is in the history (no file: a killed `baton run` would leave it).
  private final Map<String, JobFiles.JobRecord> unwrittenRecords = new HashMap<>();
  // The parsed specs of the jobs this incarnation queued, so that a job taken from the queue starts without reading
  // its spec again (a tenth of a tiny job's cost). The queue from the journal has none: those are read again.
  private final Map<String, JobSpec> queuedSpecs = new HashMap<>();
  // The job actors of this incarnation: a restart after a journal failure stops them, and recovery starts them again.
  private final Map<String, ActorRef<Job.Command>> running = new HashMap<>();
  // Jobs whose spec is being read again before their actor starts (after a restart, or taken from the queue): they
  // hold a slot, and cancels that come meanwhile wait here for the actor.
  private final Map<String, List<ActorRef<Optional<JobStatus>>>> starting = new HashMap<>();
  // Queued jobs being cancelled while their lines are counted, and who waits for the answer.
  private final Map<String, List<ActorRef<Optional<JobStatus>>>> cancelling = new HashMap<>();
  private boolean accepting = true;
  // When the coordinator last wrote, and compacted the journal's file; whether a Compact is on its way, and whether
  // ended jobs were deleted since the last compaction. Only the process's own H2 file needs these, and only for as
  // long as the process runs.
  private long lastWrite = System.nanoTime();
  private long lastCompaction = System.nanoTime();
  private boolean compactionScheduled;
  // Whether a WriteBatch is on its way: one at a time, so that what comes before it goes into one write.
  private boolean writeScheduled;
  private boolean deletedSinceCompaction;
  // Accepted jobs and job ends not written yet: they go to the journal together, in one write (WriteBatch), so
  // that jobs arriving while a write is under way cost one more write, not one each. Nobody has been answered or
  // told about them yet, so they need not survive a restart: a submit lost here gets no answer, as one whose write
  // failed.
  private final List<Acceptance> unwrittenAccepted = new ArrayList<>();
  private final Map<String, JobEnded> unwrittenEnded = new LinkedHashMap<>();
  // Reruns of jobs whose actor said they ended before its end reached this actor: asked again once it has.
  private final Map<String, List<Rerun>> rerunsAtEnd = new HashMap<>();
  // The ended jobs among those whose events are in their own journal, to be deleted once their end is written.
  private final Set<String> unwrittenJournaled = new HashSet<>();

  /** The coordinator of this journal; there is one per journal. */
  public static Behavior<Command> create(CoordinatorSettings settings, JobSpecParser parser,
      ActorRef<WorkDispatcher.Command> dispatcher) {
    return create(settings, parser, dispatcher, "baton-coordinator");
  }

  /**
   * A coordinator under its own name in the journal, for several in one journal (tests do this); job ids must
   * still be unique across them.
   */
  public static Behavior<Command> create(CoordinatorSettings settings, JobSpecParser parser,
      ActorRef<WorkDispatcher.Command> dispatcher, String journalName) {
    return Behaviors.setup(context -> new Coordinator(context, settings, parser, dispatcher, journalName));
  }

  private Coordinator(ActorContext<Command> context, CoordinatorSettings settings, JobSpecParser parser,
      ActorRef<WorkDispatcher.Command> dispatcher, String journalName) {
    super(PersistenceId.ofUniqueId(journalName), JournalSettings.get(context.getSystem()).onJournalFailure());
    this.context = context;
    this.journal = JournalSettings.get(context.getSystem());
    this.settings = settings;
    this.parser = parser;
    this.runtime = new JobStream.Runtime(context.getSystem(), new IoRuntime(context.getSystem()), dispatcher,
        settings);
    this.finishedAdapter = context.messageAdapter(Job.Ended.class, JobFinished::new);
    this.metrics = Metrics.get(context.getSystem());
    this.journalWrite = metrics.journalWrite("coordinator");
    this.files = JobFiles.of(context.getSystem(), journalName);
    this.itemTimes = new ItemTimes(context.getSystem().settings().config().getInt("baton.coordinator.item-times-kept"));
  }

  @Override
  public Jobs emptyState() {
    return new Jobs(settings.finishedJobsKept());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(journal.coordinatorSnapshotEvery(), 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public SnapshotAdapter<Jobs> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(Jobs jobs) {
        // One snapshot, so that recovery reads it rather than every job ever.
        return new JournalV1.JobsSnapshot(List.copyOf(jobs.open.values()), List.copyOf(jobs.finished.values()));
      }

      @Override
      public Jobs fromJournal(Object stored) {
        JournalV1.JobsSnapshot snapshot = (JournalV1.JobsSnapshot) stored;
        Jobs jobs = emptyState();
        snapshot.open().forEach(jobs::accept);
        snapshot.finished().forEach(job -> jobs.finished.put(job.id(), job));
        return jobs;
      }
    };
  }

  @Override
  public CommandHandler<Command, JournalV1.CoordinatorEvent, Jobs> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Submit.class, this::onSubmit)
        .onCommand(Validated.class, this::onValidated)
        .onCommand(Resumable.class, this::onResumable)
        .onCommand(FillSlots.class, this::onFillSlots)
        .onCommand(QueuedCounted.class, this::onQueuedCounted)
        .onCommand(GetJob.class, this::onGetJob)
        .onCommand(ListJobs.class, this::onListJobs)
        .onCommand(CancelJob.class, this::onCancelJob)
        .onCommand(JobFinished.class, this::onJobFinished)
        .onCommand(JobStopped.class, this::onJobStopped)
        .onCommand(Forgotten.class, this::onForgotten)
        .onCommand(WriteBatch.class, this::onWriteBatch)
        .onCommand(Compact.class, this::onCompact)
        .onCommand(Compacted.class, this::onCompacted)
        .onCommand(StopAccepting.class, this::onStopAccepting)
        .onCommand(GetHealth.class, this::onGetHealth)
        .onCommand(GetJobCounts.class, this::onGetJobCounts)
        .onCommand(Rerun.class, this::onRerun)
        .onCommand(RerunChecked.class, this::onRerunChecked)
        .onCommand(RerunOfRunning.class, this::onRerunOfRunning)
        .onCommand(GetFailures.class, this::onGetFailures)
        .onCommand(FilesDone.class, this::onFilesDone)
        .onCommand(RecordWritten.class, this::onRecordWritten)
        .build();
  }

  @Override
  public EventHandler<Jobs, JournalV1.CoordinatorEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(JobAccepted.class, (jobs, accepted) -> {
          jobs.accept(accepted);
          return jobs;
        })
        .onEvent(JobDequeued.class, (jobs, dequeued) -> {
          jobs.dequeue(dequeued.id());
          return jobs;
        })
        .onEvent(JobEnded.class, (jobs, ended) -> {
          jobs.end(ended.job());
          return jobs;
        })
        .build();
  }

  @Override
  public SignalHandler<Jobs> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::resumeOpenJobs)
        .onSignal(PostStop.instance(), jobs -> removeTemporaryFiles())
        .onSignal(JournalPersistFailed.class, (jobs, failed) -> onJournalFailed("write to", failed.getFailure()))
        .onSignal(RecoveryFailed.class, (jobs, failed) -> onJournalFailed("read", failed.getFailure()))
        .build();
  }

  private void onJournalFailed(String what, Throwable failure) {
    context.getLog().warn("the coordinator could not {} the journal: {}; it starts again in a moment, and its "
        + "running jobs resume from their checkpoints", what, JournalWatch.reason(failure));
    JournalWatch.report(context.getSystem(), persistenceId().id(), failure);
  }

  private void resumeOpenJobs(Jobs jobs) {
    running.clear();
    starting.clear();
    cancelling.clear();
    errorsFiles.clear();
    queuedSpecs.clear();
    if (!files.isTemporary()) {
      unwrittenRecords.clear();
    }
    // Files of jobs that left the history while the coordinator was down, or before it wrote that they had.
    Set<String> known = new HashSet<>(jobs.open.keySet());
    known.addAll(jobs.finished.keySet());
    onFiles("delete the files of forgotten jobs", () -> files.keepOnly(known));
    unwrittenAccepted.clear();
    unwrittenEnded.clear();
    unwrittenJournaled.clear();
    writeScheduled = false;
    if (!jobs.open.isEmpty()) {
      context.getLog().info("resuming {} unfinished jobs from the journal, {} of them queued", jobs.open.size(),
          jobs.queue.size());
    }
    for (JobAccepted accepted : jobs.open.values()) {
      if (!accepted.waits()) {
        readAgain(accepted, false);
      }
    }
    // The limit may have been raised since the queue was written.
    context.getSelf().tell(FillSlots.INSTANCE);
  }

  /** Parses an accepted job's spec again, off the actor's thread, and then starts it ({@link Resumable}). */
  private void readAgain(JobAccepted accepted, boolean dequeued) {
    starting.put(accepted.id(), new ArrayList<>());
    // A files input runs on the files it matched at submit (see parse): its glob is not expanded again.
    CompletableFuture<JobSpec> checked = runtime.io().blocking(() -> parse(accepted)).toCompletableFuture();
    context.pipeToSelf(checked, (spec, error) -> new Resumable(accepted, spec, error, dequeued));
  }

  private int slotsTaken() {
    return running.size() + starting.size();
  }

  /** How many of the slots taken now these ending jobs give up. */
  private int freedBy(List<String> ending) {
    return (int) ending.stream().filter(id -> running.containsKey(id) || starting.containsKey(id)).count();
  }

  /**
   * The queued jobs that start when {@code freed} (a job that ends, or null) gives up its slot, in queue order.
   * None while the coordinator shuts down: they stay queued for its next start.
   */
  private List<String> nextToStart(Jobs jobs, List<String> freed) {
    if (!accepting) {
      return List.of();
    }
    int taken = slotsTaken() - freedBy(freed);
    List<String> next = new ArrayList<>();
    for (Waiting waiting : jobs.queue) {
      if (taken + next.size() >= settings.maxRunningJobs()) {
        break;
      }
      if (!freed.contains(waiting.id()) && !cancelling.containsKey(waiting.id())) {
        next.add(waiting.id());
      }
    }
    return next;
  }

  private void startDequeued(Jobs jobs, List<String> ids) {
    for (String id : ids) {
      context.getLog().info("starting queued job {}", id);
      JobSpec spec = queuedSpecs.remove(id);
      if (spec == null) {
        readAgain(jobs.open.get(id), true);
      }
      Events.publish(context.getSystem(), startingStatus(jobs.open.get(id)));
      if (spec != null) {
        startJob(jobs.open.get(id), spec, true);
      }
    }
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onFillSlots(Jobs jobs, FillSlots fill) {
    List<String> next = nextToStart(jobs, List.of());
    if (next.isEmpty()) {
      return Effect().none();
    }
    long writing = System.nanoTime();
    return Effect().persist(next.stream().<JournalV1.CoordinatorEvent>map(JobDequeued::new).toList())
        .thenRun(state -> {
          journalWrite.record(System.nanoTime() - writing, TimeUnit.NANOSECONDS);
          startDequeued(state, next);
        });
  }

  /**
   * Ends a job that has no actor running it (or whose actor is done) and, in the same write, starts the queued jobs
   * that take the slot it frees.
   */
  private Effect<JournalV1.CoordinatorEvent, Jobs> end(Jobs jobs, JournalV1.JobSummary summary, Runnable then) {
    List<String> next = nextToStart(jobs, List.of(summary.id()));
    List<JournalV1.CoordinatorEvent> events = new ArrayList<>();
    events.add(new JobEnded(summary));
    next.forEach(id -> events.add(new JobDequeued(id)));
    long writing = System.nanoTime();
    return Effect().persist(events).thenRun(state -> {
      journalWrite.record(System.nanoTime() - writing, TimeUnit.NANOSECONDS);
      metrics.jobEnded(summary.state().toApi());
      Events.publish(context.getSystem(), summary.toStatus());
      runtime.dispatcher().tell(new WorkDispatcher.JobOver(summary.id()));
      then.run();
      startDequeued(state, next);
    });
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onSubmit(Jobs jobs, Submit submit) {
    if (!accepting) {
      submit.replyTo().tell(new Unavailable("the coordinator is shutting down and takes no new jobs"));
      return Effect().none();
    }
    CompletableFuture<JobSpec> checked = runtime.io().blocking(() -> {
      JobSpec spec = parser.forCode(submit.code()).parse(submit.spec(), submit.sourceName(), submit.baseDir());
      spec.output().ifPresent(output -> createParent(output, "output"));
      spec.errors().ifPresent(errors -> createParent(errors, "errors"));
      return spec;
    }).toCompletableFuture();
    context.pipeToSelf(checked, (spec, error) -> new Validated(submit, spec, error));
    return Effect().none();
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onValidated(Jobs jobs, Validated validated) {
    ActorRef<SubmitReply> replyTo = validated.submit().replyTo();
    if (validated.error() != null) {
      replyTo.tell(new Rejected(rejection(validated.submit().sourceName(), validated.error())));
      return Effect().none();
    }
    JobSpec spec = validated.spec();
    String id = newId(jobs, spec.name());
    List<String> files = spec.input() instanceof JobSpec.Files matched
        ? matched.files().stream().map(Path::toString).toList() : null;
    JobAccepted accepted = new JobAccepted(id, spec.name(), validated.submit().spec(),
        validated.submit().sourceName(), validated.submit().baseDir().toString(), Instant.now().toString(), files,
        spec.priority(), spec.input().size().orElse(-1), null, validated.submit().code(), null);
    unwrittenAccepted.add(new Acceptance(accepted, spec, replyTo));
    scheduleWrite();
    return Effect().none();
  }

  /**
   * Writes every accepted job and job end not written yet in one write, with the queued jobs that take the slots
   * those ends free; then starts the jobs that run, answers their submitters and deletes the ended jobs' events.
   * Commands that come during the write wait in the stash, and the jobs and ends among them go in the next write. An
   * accepted job waits in the queue when no slot is free, or when jobs wait already (so that it keeps its order).
   */
  private void scheduleWrite() {
    if (!writeScheduled) {
      writeScheduled = true;
      context.getSelf().tell(WriteBatch.INSTANCE);
    }
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onWriteBatch(Jobs jobs, WriteBatch write) {
    writeScheduled = false;
    if (unwrittenAccepted.isEmpty() && unwrittenEnded.isEmpty()) {
      return Effect().none();
    }
    List<JobEnded> ends = List.copyOf(unwrittenEnded.values());
    List<String> endedIds = ends.stream().map(ended -> ended.job().id()).toList();
    List<String> journaled = endedIds.stream().filter(unwrittenJournaled::contains).toList();
    List<String> dequeued = nextToStart(jobs, endedIds);
    int taken = slotsTaken() - freedBy(endedIds) + dequeued.size();
    boolean queueAhead = jobs.queue.size() > dequeued.size();
    List<Acceptance> acceptances = new ArrayList<>(unwrittenAccepted.size());
    for (Acceptance acceptance : unwrittenAccepted) {
      boolean waits = queueAhead || taken >= settings.maxRunningJobs();
      if (waits) {
        queueAhead = true;
        acceptances.add(acceptance.queued());
      } else {
        taken++;
        acceptances.add(acceptance);
      }
    }
    unwrittenAccepted.clear();
    unwrittenEnded.clear();
    unwrittenJournaled.clear();
    // The jobs these ends push out of the history (finished-jobs-kept): their files go with them.
    int overflow = jobs.finished.size() + ends.size() - settings.finishedJobsKept();
    List<String> evicted = overflow <= 0 ? List.of()
        : List.copyOf(jobs.finished.keySet().stream().limit(overflow).toList());
    List<JournalV1.CoordinatorEvent> events = new ArrayList<>(ends.size() + dequeued.size() + acceptances.size());
    events.addAll(ends);
    dequeued.forEach(id -> events.add(new JobDequeued(id)));
    acceptances.forEach(acceptance -> events.add(acceptance.accepted()));
    long writing = System.nanoTime();
    return Effect().persist(events).thenRun(state -> {
      lastWrite = System.nanoTime();
      journalWrite.record(lastWrite - writing, TimeUnit.NANOSECONDS);
      metrics.jobsSubmitted(acceptances.size());
      ends.forEach(ended -> metrics.jobEnded(ended.job().state().toApi()));
      // The event stream hears each job's end here, once it is written: the one place for jobs that wrote their own
      // end and for those that wrote nothing.
      ends.forEach(ended -> Events.publish(context.getSystem(), ended.job().toStatus()));
      endedIds.forEach(errorsFiles::remove);
      if (!evicted.isEmpty()) {
        evicted.forEach(unwrittenRecords::remove);
        onFiles("delete the files of forgotten jobs", () -> files.delete(evicted));
      }
      endedIds.forEach(this::stopJob);
      // The nodes that ran code the job brought drop it.
      endedIds.forEach(id -> runtime.dispatcher().tell(new WorkDispatcher.JobOver(id)));
      forget(journaled);
      startDequeued(state, dequeued);
      boolean queued = false;
      for (Acceptance acceptance : acceptances) {
        JobAccepted accepted = acceptance.accepted();
        if (accepted.waits()) {
          queued = true;
          queuedSpecs.put(accepted.id(), acceptance.spec());
          JobStatus status = queuedStatus(state, accepted);
          context.getLog().info("job {} queued at position {} ({} jobs running, max-running-jobs = {})",
              accepted.id(), status.queuePosition(), slotsTaken(), settings.maxRunningJobs());
          acceptance.replyTo().tell(new Accepted(status));
          Events.publish(context.getSystem(), status);
        } else {
          JobSpec spec = acceptance.spec();
          startJob(accepted, spec, false);
          JobStatus status = JournalV1.JobSummary.accepted(accepted.id(), spec.name(),
              spec.input().size().orElse(-1), spec.output().map(Object::toString).orElse(null),
              accepted.submittedAt(), accepted.rerunOf()).toStatus();
          acceptance.replyTo().tell(new Accepted(status));
          Events.publish(context.getSystem(), status);
        }
      }
      if (queued && slotsTaken() < settings.maxRunningJobs()) {
        // A slot is free while the queue's head is being cancelled: a queued job may take it.
        context.getSelf().tell(FillSlots.INSTANCE);
      }
    });
  }

  private JobStatus queuedStatus(Jobs jobs, JobAccepted accepted) {
    return queuedStatus(accepted, jobs.position(accepted.id()), jobs.queue.size());
  }

  private JobStatus queuedStatus(JobAccepted accepted, int position, int queued) {
    String waiting = "position " + position + " of " + queued + " in the queue; " + slotsTaken()
        + " jobs running, max-running-jobs = " + settings.maxRunningJobs();
    return JournalV1.JobSummary.waiting(accepted, JournalV1.State.QUEUED).toStatus(waiting, position);
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onResumable(Jobs jobs, Resumable resumable) {
    JobAccepted accepted = resumable.accepted();
    List<ActorRef<Optional<JobStatus>>> cancels = starting.remove(accepted.id());
    if (cancels == null || !jobs.open.containsKey(accepted.id())) {
      // Read twice: for an earlier incarnation (before a journal failure) too.
      return Effect().none();
    }
    if (resumable.error() == null) {
      ActorRef<Job.Command> job = startJob(accepted, resumable.spec(), resumable.dequeued());
      cancels.forEach(replyTo -> cancel(job, replyTo));
      return Effect().none();
    }
    String error = (resumable.dequeued() ? "cannot start: " : "cannot resume after a restart: ")
        + rejection(accepted.sourceName(), resumable.error());
    context.getLog().error("job {} {}", accepted.id(), error);
    JournalV1.JobSummary failed = JournalV1.JobSummary.failedBeforeRun(accepted.id(), accepted.name(),
        accepted.submittedAt(), error, Instant.now().toString());
    return end(jobs, failed, () -> {
      cancels.forEach(replyTo -> replyTo.tell(Optional.of(failed.toStatus())));
      forget(List.of(accepted.id()));
    });
  }

  /** Starts a job's actor; {@code dequeued}: the job waited in the queue until now. */
  private ActorRef<Job.Command> startJob(JobAccepted accepted, JobSpec parsed, boolean dequeued) {
    String id = accepted.id();
    // Failed items are always kept: in the spec's errors file, else in a file of the coordinator's own.
    JobSpec spec = parsed.errors().isPresent() ? parsed
        : parsed.withFiles(parsed.output(), Optional.of(files.errors(id)));
    errorsFiles.put(id, spec.errors().orElseThrow());
    JobFiles.JobRecord record = new JobFiles.JobRecord(accepted.spec(), accepted.sourceName(), accepted.baseDir(),
        accepted.rerun() == null ? null : accepted.rerun().keys(), accepted.code());
    unwrittenRecords.put(id, record);
    if (files.isTemporary()) {
      return spawnJob(accepted, spec, dequeued);
    }
    context.pipeToSelf(runtime.io().blocking(() -> {
      try {
        files.writeRecord(id, record);
        return Done.getInstance();
      } catch (IOException e) {
        throw new UncheckedIOException(Reasons.withKind(e), e);
      }
    }), (done, error) -> new RecordWritten(id, error));
    return spawnJob(accepted, spec, dequeued);
  }

  private ActorRef<Job.Command> spawnJob(JobAccepted accepted, JobSpec spec, boolean dequeued) {
    String id = accepted.id();
    ActorRef<Job.Command> job = context.spawn(
        Job.createEnding(id, spec, runtime.withItemNanos(itemTimes.of(spec)), JournalV1.instant(accepted.submittedAt()),
            dequeued, accepted.rerunOf(), finishedAdapter),
        "job-" + id);
    context.watchWith(job, new JobStopped(accepted.id(), job));
    running.put(accepted.id(), job);
    return job;
  }

  private String rejection(String sourceName, Throwable error) {
    Throwable cause = Reasons.unwrap(error);
    if (cause instanceof SpecException || cause instanceof UncheckedIOException) {
      return cause.getMessage();
    }
    context.getLog().error("could not check spec {}", sourceName, cause);
    return sourceName + ": could not check the spec: " + cause;
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onGetJob(Jobs jobs, GetJob request) {
    if (unwrittenEnded.containsKey(request.id())) {
      return afterTheWrite(request);
    }
    ActorRef<Job.Command> job = running.get(request.id());
    if (job != null) {
      job.tell(new Job.GetStatus(request.replyTo()));
    } else if (jobs.isQueued(request.id())) {
      request.replyTo().tell(Optional.of(queuedStatus(jobs, jobs.open.get(request.id()))));
    } else if (jobs.open.containsKey(request.id())) {
      request.replyTo().tell(Optional.of(startingStatus(jobs.open.get(request.id()))));
    } else {
      request.replyTo().tell(finishedStatus(jobs, request.id()));
    }
    return Effect().none();
  }

  // An open job without an actor yet: its spec is being read again.
  private static JobStatus startingStatus(JobAccepted accepted) {
    return JournalV1.JobSummary.waiting(accepted, JournalV1.State.ACCEPTED).toStatus();
  }

  // A running job as this actor knows it, without the counts its own actor keeps.
  private static JobStatus runningStatus(JobAccepted accepted) {
    return JournalV1.JobSummary.waiting(accepted, JournalV1.State.RUNNING).toStatus();
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onListJobs(Jobs jobs, ListJobs request) {
    if (!unwrittenEnded.isEmpty()) {
      return afterTheWrite(request);
    }
    List<JobStatus> all = new ArrayList<>(jobs.finished.values().stream().map(JournalV1.JobSummary::toStatus)
        .toList());
    int position = 0;
    for (Waiting waiting : jobs.queue) {
      all.add(queuedStatus(jobs.open.get(waiting.id()), ++position, jobs.queue.size()));
    }
    for (JobAccepted accepted : jobs.open.values()) {
      if (!accepted.waits() && !running.containsKey(accepted.id())) {
        all.add(startingStatus(accepted));
      }
    }
    if (running.isEmpty()) {
      // Finished jobs are kept in the order they ended; the list is in the order they were submitted.
      all.sort(StatusCollector.OLDEST_FIRST);
      request.replyTo().tell(List.copyOf(all));
    } else {
      // A job whose actor is slow to answer (starting, or writing under load) is listed as accepted and running.
      Map<ActorRef<Job.Command>, JobStatus> asKnown = new HashMap<>();
      running.forEach((id, job) -> {
        // One whose end is written is in the list already, as it ended.
        if (jobs.open.containsKey(id)) {
          asKnown.put(job, runningStatus(jobs.open.get(id)));
        }
      });
      context.spawnAnonymous(StatusCollector.create(all, asKnown, request.replyTo(), settings.listPatience()));
    }
    return Effect().none();
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onCancelJob(Jobs jobs, CancelJob request) {
    String id = request.id();
    if (unwrittenEnded.containsKey(id)) {
      return afterTheWrite(request);
    }
    ActorRef<Job.Command> job = running.get(id);
    if (job != null) {
      cancel(job, request.replyTo());
    } else if (starting.containsKey(id)) {
      starting.get(id).add(request.replyTo());
    } else if (cancelling.containsKey(id)) {
      cancelling.get(id).add(request.replyTo());
    } else if (jobs.isQueued(id)) {
      return cancelQueued(jobs, jobs.open.get(id), request.replyTo());
    } else {
      request.replyTo().tell(finishedStatus(jobs, id));
    }
    return Effect().none();
  }

  private static void cancel(ActorRef<Job.Command> job, ActorRef<Optional<JobStatus>> replyTo) {
    job.tell(new Job.Cancel(CANCELLED));
    job.tell(new Job.GetStatus(replyTo));
  }

  /**
   * A queued job ends at once, every item not run. A lines input's size is not known before reading it: its lines are
   * counted first (the job keeps its place, but no longer starts, meanwhile).
   */
  private Effect<JournalV1.CoordinatorEvent, Jobs> cancelQueued(Jobs jobs, JobAccepted accepted,
      ActorRef<Optional<JobStatus>> replyTo) {
    context.getLog().info("cancelling queued job {}", accepted.id());
    if (accepted.totalOrUnknown() >= 0) {
      return endCancelled(jobs, accepted, accepted.totalOrUnknown(), List.of(replyTo));
    }
    cancelling.put(accepted.id(), new ArrayList<>(List.of(replyTo)));
    CompletionStage<Long> counted = runtime.io().blocking(() -> parse(accepted))
        .thenCompose(spec -> spec.input() instanceof JobSpec.Lines lines
        ? JobStream.countLines(lines.file(), runtime)
        : CompletableFuture.completedFuture(spec.input().size().orElse(-1)));
    context.pipeToSelf(counted, (total, error) -> new QueuedCounted(accepted.id(), error == null ? total : -1));
    return Effect().none();
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onQueuedCounted(Jobs jobs, QueuedCounted counted) {
    List<ActorRef<Optional<JobStatus>>> waiting = cancelling.get(counted.id());
    if (waiting == null || !jobs.isQueued(counted.id())) {
      return Effect().none();
    }
    return endCancelled(jobs, jobs.open.get(counted.id()), counted.total(), waiting);
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> endCancelled(Jobs jobs, JobAccepted accepted, long total,
      List<ActorRef<Optional<JobStatus>>> replyTo) {
    JournalV1.JobSummary summary = JournalV1.JobSummary.cancelledWhileQueued(accepted, total, CANCELLED,
        Instant.now().toString());
    // It never ran, so it has no journal of its own to forget.
    long writing = System.nanoTime();
    return Effect().persist(new JobEnded(summary)).thenRun(state -> {
      journalWrite.record(System.nanoTime() - writing, TimeUnit.NANOSECONDS);
      metrics.jobEnded(summary.state().toApi());
      cancelling.remove(accepted.id());
      queuedSpecs.remove(accepted.id());
      replyTo.forEach(ref -> ref.tell(Optional.of(summary.toStatus())));
      Events.publish(context.getSystem(), summary.toStatus());
      // A slot freed while its lines were counted was kept from it, and may be free still.
      context.getSelf().tell(FillSlots.INSTANCE);
    });
  }

  /**
   * Answers a request about a job whose end is not written yet once it is: the job shows itself as ended, and an
   * end seen before it is in the journal could be undone by a crash. The request goes behind the WriteBatch that
   * is on its way (scheduleWrite), and commands that come during a write wait for it.
   */
  private Effect<JournalV1.CoordinatorEvent, Jobs> afterTheWrite(Command request) {
    context.getSelf().tell(request);
    return Effect().none();
  }

  private static Optional<JobStatus> finishedStatus(Jobs jobs, String id) {
    return Optional.ofNullable(jobs.finished.get(id)).map(JournalV1.JobSummary::toStatus);
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onJobFinished(Jobs jobs, JobFinished message) {
    String id = message.ended().status().id();
    itemTimes.learn(message.ended().itemNanos());
    if (!jobs.open.containsKey(id)) {
      stopJob(id);
      rerunsAfterTheEnd(id);
      context.getSelf().tell(FillSlots.INSTANCE);
      return Effect().none();
    }
    Path errors = errorsFiles.get(id);
    JobStatus ended = message.ended().status();
    unwrittenEnded.put(id, new JobEnded(JournalV1.JobSummary.of(ended)
        .with(errors == null ? null : errors.toString(), ended.rerunOf())));
    if (message.ended().journaled()) {
      unwrittenJournaled.add(id);
    }
    scheduleWrite();
    // After the write's turn: asked again, they find the job ended and written.
    rerunsAfterTheEnd(id);
    return Effect().none();
  }

  /**
   * Deletes ended jobs' events and snapshots. The coordinator's {@link JobEnded} holds all that {@code status}
   * and {@code list} show, and an ended job is never started again, so the job's own journal is of no more use; left
   * there, it would grow the journal by every job ever run.
   */
  private void forget(List<String> ids) {
    if (ids.isEmpty()) {
      return;
    }
    journal.database().ifPresent(database -> {
      List<String> persistenceIds = ids.stream().map(id -> Job.persistenceId(id).id()).toList();
      context.pipeToSelf(runtime.io().blocking(() -> Journal.forget(database, persistenceIds)),
          (rows, error) -> new Forgotten(ids, rows == null ? 0 : rows, error));
    });
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onForgotten(Jobs jobs, Forgotten forgotten) {
    if (forgotten.error() != null) {
      context.getLog().warn("could not delete the journal of ended jobs {}: {}", forgotten.ids(),
          Reasons.unwrap(forgotten.error()).getMessage());
    } else {
      context.getLog().debug("deleted the {} events and snapshots of ended jobs {}", forgotten.rows(),
          forgotten.ids());
      deletedSinceCompaction = true;
      scheduleCompaction();
    }
    return Effect().none();
  }

  /**
   * The deletions leave H2's file with space it only reuses or gives back when compacted (see
   * {@link Journal#compact}); writes wait while it compacts, so it waits for a quiet moment (CompactionSchedule).
   */
  private void scheduleCompaction() {
    if (!compactionScheduled && deletedSinceCompaction) {
      compactionScheduled = true;
      context.scheduleOnce(journal.h2Compaction().wait(System.nanoTime(), lastWrite, lastCompaction),
          context.getSelf(), Compact.INSTANCE);
    }
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onCompact(Jobs jobs, Compact compact) {
    compactionScheduled = false;
    Duration wait = journal.h2Compaction().wait(System.nanoTime(), lastWrite, lastCompaction);
    if (!wait.isZero()) {
      scheduleCompaction();
      return Effect().none();
    }
    journal.database().ifPresent(database -> {
      lastCompaction = System.nanoTime();
      deletedSinceCompaction = false;
      compactionScheduled = true;
      context.pipeToSelf(runtime.io().blocking(() -> {
        Journal.compact(database, journal.h2CompactTime());
        return Done.getInstance();
      }), (done, error) -> new Compacted(error));
    });
    return Effect().none();
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onCompacted(Jobs jobs, Compacted compacted) {
    compactionScheduled = false;
    lastCompaction = System.nanoTime();
    if (compacted.error() != null) {
      context.getLog().warn("could not compact the journal: {}", Reasons.unwrap(compacted.error()).getMessage());
    }
    scheduleCompaction();
    return Effect().none();
  }

  private void stopJob(String id) {
    ActorRef<Job.Command> job = running.remove(id);
    if (job != null) {
      job.tell(Job.Stop.INSTANCE);
    }
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onStopAccepting(Jobs jobs, StopAccepting stop) {
    if (accepting) {
      accepting = false;
      context.getLog().info("no longer accepting jobs: shutting down with {} jobs running and {} queued (they stay "
          + "queued for the next start)", running.size(), jobs.queue.size());
    }
    stop.replyTo().tell(Done.getInstance());
    return Effect().none();
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onRerun(Jobs jobs, Rerun rerun) {
    String id = rerun.id();
    if (!accepting) {
      rerun.replyTo().tell(new Unavailable("the coordinator is shutting down and takes no new jobs"));
      return Effect().none();
    }
    if (unwrittenEnded.containsKey(id)) {
      return afterTheWrite(rerun);
    }
    ActorRef<Job.Command> job = running.get(id);
    if (job != null) {
      // Its status may already say it ended (status does ask the job), while its end is still on its way here.
      context.ask(JOB_STATUS, job, settings.listPatience(), Job.GetStatus::new,
          (status, error) -> new RerunOfRunning(rerun, status == null ? Optional.empty() : status));
      return Effect().none();
    }
    if (jobs.open.containsKey(id)) {
      return cannotRerunYet(jobs, rerun);
    }
    JournalV1.JobSummary ended = jobs.finished.get(id);
    if (ended == null) {
      rerun.replyTo().tell(new UnknownJob("no job " + id));
      return Effect().none();
    }
    if (rerun.failedOnly() && ended.counts().failed() == 0) {
      rerun.replyTo().tell(new CannotRerun("job " + id + " has no failed items to rerun"));
      return Effect().none();
    }
    Optional<Path> errors = Optional.ofNullable(ended.errors()).map(Path::of);
    Optional<JobFiles.JobRecord> unwritten = Optional.ofNullable(unwrittenRecords.get(id));
    CompletableFuture<RerunChecked> checked = runtime.io().blocking(() -> checkRerun(rerun, errors, unwritten))
        .toCompletableFuture();
    context.pipeToSelf(checked, (ok, error) -> ok != null ? ok : new RerunChecked(rerun, null, null, null, null,
        error));
    return Effect().none();
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onRerunOfRunning(Jobs jobs, RerunOfRunning answer) {
    String id = answer.rerun().id();
    boolean ended = answer.status().map(status -> status.state().isFinal()).orElse(false);
    if (ended && running.containsKey(id) && !unwrittenEnded.containsKey(id)) {
      // Its end has not come here yet: asked again when it comes.
      rerunsAtEnd.computeIfAbsent(id, key -> new ArrayList<>()).add(answer.rerun());
      return Effect().none();
    }
    if (ended || !jobs.open.containsKey(id)) {
      // Its end came here meanwhile: asked again, it finds the job ended (once its end is written).
      context.getSelf().tell(answer.rerun());
      return Effect().none();
    }
    return cannotRerunYet(jobs, answer.rerun());
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> cannotRerunYet(Jobs jobs, Rerun rerun) {
    rerun.replyTo().tell(new CannotRerun("job " + rerun.id() + " is " + (jobs.isQueued(rerun.id()) ? "QUEUED"
        : "RUNNING") + ": rerun it once it has ended"));
    return Effect().none();
  }

  /** The reruns that waited for job {@code id}'s end to come here ask again, after the end's write. */
  private void rerunsAfterTheEnd(String id) {
    List<Rerun> waiting = rerunsAtEnd.remove(id);
    if (waiting != null) {
      waiting.forEach(context.getSelf()::tell);
    }
  }

  /** The spec and the items a rerun runs, read from the ended job's files (off the actor's thread). */
  private RerunChecked checkRerun(Rerun rerun, Optional<Path> errors, Optional<JobFiles.JobRecord> unwritten) {
    try {
      return readRerun(rerun, errors, unwritten);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the files of job " + rerun.id() + ": " + Reasons.withKind(e), e);
    }
  }

  private RerunChecked readRerun(Rerun rerun, Optional<Path> errors, Optional<JobFiles.JobRecord> unwritten)
      throws IOException {
    String id = rerun.id();
    Optional<JobFiles.JobRecord> kept = unwritten.isPresent() ? unwritten : files.readRecord(id);
    JobFiles.JobRecord record = kept.orElseThrow(() -> new CannotRerunException(
        "the spec of job " + id + " is no longer kept (it ran before Baton kept specs for rerun)"));
    List<String> keys = record.keys();
    if (rerun.failedOnly()) {
      if (errors.isEmpty()) {
        throw new CannotRerunException("the failed items of job " + id + " were not kept (it ran before Baton "
            + "kept them)");
      }
      keys = ErrorsFile.keys(errors.get());
      if (keys.isEmpty()) {
        throw new CannotRerunException("job " + id + " has no failed items to rerun (its errors file "
            + errors.get() + " is empty)");
      }
    }
    Path baseDir = Path.of(record.baseDir());
    // A job that brought code reruns with the same bundle, which the coordinator keeps by its hash.
    JobSpec spec = parser.forCode(record.code())
        .parse(record.spec(), record.sourceName(), baseDir, keys == null ? null : List.of());
    Optional<Path> output = rerun.output().map(path -> parser.writableFile(path, baseDir, "--output"));
    output.ifPresent(path -> createParent(path, "--output"));
    return new RerunChecked(rerun, record, spec, keys, output.orElse(null), null);
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onRerunChecked(Jobs jobs, RerunChecked checked) {
    ActorRef<SubmitReply> replyTo = checked.rerun().replyTo();
    if (checked.error() != null) {
      Throwable cause = Reasons.unwrap(checked.error());
      replyTo.tell(cause instanceof CannotRerunException ? new CannotRerun(cause.getMessage())
          : new Rejected(rejection("the spec of job " + checked.rerun().id(), cause)));
      return Effect().none();
    }
    JobSpec parsed = checked.spec();
    String id = newId(jobs, parsed.name());
    // The first job's files stay as they are: the rerun writes beside them unless told where.
    Optional<Path> output = Optional.ofNullable(checked.output())
        .or(() -> parsed.output().map(path -> Path.of(path + ".rerun-" + id)));
    Optional<Path> errors = parsed.errors().map(path -> Path.of(path + ".rerun-" + id));
    JournalV1.Rerun rerun = new JournalV1.Rerun(checked.rerun().id(), checked.keys(),
        output.map(Path::toString).orElse(null), errors.map(Path::toString).orElse(null));
    JobSpec spec = asRerun(parsed, rerun);
    List<String> matched = spec.input() instanceof JobSpec.Files files
        ? files.files().stream().map(Path::toString).toList() : null;
    JobFiles.JobRecord record = checked.record();
    JobAccepted accepted = new JobAccepted(id, spec.name(), record.spec(), record.sourceName(), record.baseDir(),
        Instant.now().toString(), matched, spec.priority(), spec.input().size().orElse(-1), null, record.code(),
        rerun);
    context.getLog().info("job {} reruns job {} over {}", id, rerun.of(), rerun.keys() == null ? "all its items"
        : "its " + rerun.keys().size() + " failed items");
    unwrittenAccepted.add(new Acceptance(accepted, spec, replyTo));
    scheduleWrite();
    return Effect().none();
  }

  /** The spec of a rerun: over its keys (if any) instead of the spec's input, into its own files. */
  private static JobSpec asRerun(JobSpec spec, JournalV1.Rerun rerun) {
    JobSpec over = rerun.keys() == null ? spec
        : spec.withInput(new JobSpec.Keys(List.copyOf(rerun.keys()), !(spec.input() instanceof JobSpec.Files)));
    return over.withFiles(Optional.ofNullable(rerun.output()).map(Path::of),
        Optional.ofNullable(rerun.errors()).map(Path::of));
  }

  /** Reads an accepted job's spec again, as a rerun when it is one (off the actor's thread). */
  private JobSpec parse(JobAccepted accepted) {
    List<Path> matched = accepted.files() == null ? null : accepted.files().stream().map(Path::of).toList();
    JournalV1.Rerun rerun = accepted.rerun();
    if (rerun != null && rerun.keys() != null) {
      matched = List.of();
    }
    JobSpec spec = parser.forCode(accepted.code())
        .parse(accepted.spec(), accepted.sourceName(), Path.of(accepted.baseDir()), matched);
    return rerun == null ? spec : asRerun(spec, rerun);
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onGetFailures(Jobs jobs, GetFailures request) {
    String id = request.id();
    Optional<FailuresFile> found;
    if (jobs.open.containsKey(id)) {
      found = Optional.of(new FailuresFile(Optional.ofNullable(errorsFiles.get(id))));
    } else if (jobs.finished.containsKey(id)) {
      found = Optional.of(new FailuresFile(Optional.ofNullable(jobs.finished.get(id).errors()).map(Path::of)));
    } else {
      found = Optional.empty();
    }
    request.replyTo().tell(found);
    return Effect().none();
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onRecordWritten(Jobs jobs, RecordWritten written) {
    unwrittenRecords.remove(written.id());
    if (written.error() != null) {
      context.getLog().warn("could not keep the spec of job {} for rerun: {}", written.id(),
          Reasons.text(Reasons.unwrap(written.error())));
    }
    return Effect().none();
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onFilesDone(Jobs jobs, FilesDone done) {
    if (done.error() != null) {
      context.getLog().warn("could not {}: {}", done.what(), Reasons.text(Reasons.unwrap(done.error())));
    }
    return Effect().none();
  }

  /**
   * With the journal in memory, the job files go with the coordinator. This runs on the actor's thread: it is
   * stopped, so nothing waits for it, and a message to do it elsewhere would never come back.
   */
  private void removeTemporaryFiles() {
    try {
      files.removeIfTemporary();
    } catch (IOException | UncheckedIOException e) {
      context.getLog().warn("could not remove the temporary job files: {}", Reasons.withKind(e));
    }
  }

  /** Runs a file operation off the actor's thread, logging when it fails. */
  private void onFiles(String what, IoAction action) {
    context.pipeToSelf(runtime.io().blocking(() -> {
      try {
        action.run();
      } catch (IOException e) {
        throw new UncheckedIOException(Reasons.withKind(e), e);
      }
      return Done.getInstance();
    }), (done, error) -> new FilesDone(what, error));
  }

  private interface IoAction {
    void run() throws IOException;
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onGetHealth(Jobs jobs, GetHealth request) {
    request.replyTo().tell(new Health(accepting, running.size(), jobs.queue.size()));
    return Effect().none();
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onGetJobCounts(Jobs jobs, GetJobCounts request) {
    Map<JobState, Integer> counts = new EnumMap<>(JobState.class);
    for (JobAccepted accepted : jobs.open.values()) {
      JobState state = jobs.isQueued(accepted.id()) ? JobState.QUEUED
          : running.containsKey(accepted.id()) ? JobState.RUNNING : JobState.ACCEPTED;
      counts.merge(state, 1, Integer::sum);
    }
    jobs.finished.values().forEach(job -> counts.merge(job.state().toApi(), 1, Integer::sum));
    request.replyTo().tell(counts);
    return Effect().none();
  }

  private Effect<JournalV1.CoordinatorEvent, Jobs> onJobStopped(Jobs jobs, JobStopped stopped) {
    // A job that stopped without reporting its end crashed; record it rather than leave it running forever. The
    // stop of a job actor that an earlier incarnation started (before a journal failure) is no news about the one
    // running now.
    if (!stopped.job().equals(running.get(stopped.id())) || !jobs.open.containsKey(stopped.id())) {
      return Effect().none();
    }
    running.remove(stopped.id());
    rerunsAfterTheEnd(stopped.id());
    context.getLog().error("job {} stopped unexpectedly", stopped.id());
    JobAccepted accepted = jobs.open.get(stopped.id());
    return end(jobs, JournalV1.JobSummary.failedBeforeRun(stopped.id(), accepted.name(), accepted.submittedAt(),
        "the job's actor stopped unexpectedly; see baton.log", Instant.now().toString()),
        () -> forget(List.of(stopped.id())));
  }

  private String newId(Jobs jobs, String name) {
    String slug = TRIMMED_DASHES.matcher(NOT_SLUG.matcher(name.toLowerCase(Locale.ROOT)).replaceAll("-"))
        .replaceAll("");
    if (slug.isEmpty()) {
      slug = "job";
    }
    slug = slug.length() > 40 ? slug.substring(0, 40) : slug;
    String id;
    do {
      // Six hex digits, zero-padded: 1 << 24 makes the seventh digit a 1 that is cut off.
      id = slug + "-" + Integer.toHexString((1 << 24) | ThreadLocalRandom.current().nextInt(1 << 24)).substring(1);
    } while (jobs.knows(id) || isUnwritten(id));
    return id;
  }

  private boolean isUnwritten(String id) {
    for (Acceptance acceptance : unwrittenAccepted) {
      if (acceptance.accepted().id().equals(id)) {
        return true;
      }
    }
    return false;
  }

  private static void createParent(Path output, String what) {
    try {
      Path parent = output.getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the folder for " + what + " " + output + ": " + e.getMessage(), e);
    }
  }
}
