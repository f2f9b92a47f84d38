package baton.coordinator;

import baton.protocol.JobSpec;
import baton.protocol.JobState;
import baton.protocol.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;

/**
 * One running job. It starts the job's stream, keeps every count the stream reports, logs progress and failed items
 * to the job's own log (the job id is in the MDC), and decides the end state. All of a job's state is here and
 * changes only when a message arrives.
 */
final class Job extends AbstractBehavior<Job.Command> {

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

  private record StreamFinished(Throwable failure) implements Command {
  }

  private enum LogProgress implements Command { INSTANCE }

  private static final class JobAborted extends RuntimeException {
    JobAborted(String message) {
      super(message, null, false, false);
    }
  }

  private final String id;
  private final JobSpec spec;
  private final ActorRef<JobStatus> onFinish;
  private final Instant submittedAt;
  private final Instant startedAt;
  private final long[] stageDone;
  private final long[] stageFailed;
  private final UniqueKillSwitch killSwitch;
  private final Map<String, Long> nodeItems = new TreeMap<>();
  private long total;
  private boolean inputComplete;
  private long succeeded;
  private long filtered;
  private long failed;
  private JobState state = JobState.RUNNING;
  private String error;
  private Instant finishedAt;

  static Behavior<Command> create(String id, JobSpec spec, JobStream.Runtime runtime, Instant submittedAt,
      ActorRef<JobStatus> onFinish) {
    return Behaviors.withMdc(Command.class, Map.of("jobId", id),
        Behaviors.setup(context -> Behaviors.withTimers(timers ->
            new Job(context, timers, id, spec, runtime, submittedAt, onFinish))));
  }

  private Job(ActorContext<Command> context, TimerScheduler<Command> timers, String id, JobSpec spec,
      JobStream.Runtime runtime, Instant submittedAt, ActorRef<JobStatus> onFinish) {
    super(context);
    this.id = id;
    this.spec = spec;
    this.onFinish = onFinish;
    this.submittedAt = submittedAt;
    this.stageDone = new long[spec.stages().size() + 1];
    this.stageFailed = new long[spec.stages().size() + 1];
    this.total = spec.input().size().orElse(-1);
    this.inputComplete = spec.input().size().isPresent();
    context.getLog().info("accepted job {} ({}): input {}, stages {}{}", id, spec.name(), describe(spec.input()),
        stageNames(), spec.output().map(path -> ", output " + path).orElse(""));

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
    });
    Pair<UniqueKillSwitch, CompletionStage<Done>> running = stream.run(Materializer.createMaterializer(context));
    this.killSwitch = running.first();
    this.startedAt = Instant.now();
    context.pipeToSelf(running.second(), (done, failure) -> new StreamFinished(failure));
    timers.startTimerWithFixedDelay(LogProgress.INSTANCE, runtime.settings().progressInterval());
    context.getLog().info("started job {}", id);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(GetStatus.class, this::onGetStatus)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(InputCount.class, this::onInputCount)
        .onMessage(StageCount.class, this::onStageCount)
        .onMessage(ItemFailed.class, this::onItemFailed)
        .onMessage(SinkCount.class, this::onSinkCount)
        .onMessage(NodeWorked.class, this::onNodeWorked)
        .onMessage(StreamFinished.class, this::onStreamFinished)
        .onMessage(LogProgress.class, message -> onLogProgress())
        .build();
  }

  private Behavior<Command> onGetStatus(GetStatus request) {
    request.replyTo().tell(Optional.of(status()));
    return this;
  }

  private Behavior<Command> onCancel(Cancel cancel) {
    if (state == JobState.RUNNING) {
      state = JobState.CANCELLED;
      error = cancel.reason();
      getContext().getLog().info("cancelling job {}: {}", id, cancel.reason());
      killSwitch.abort(new JobAborted(cancel.reason()));
    }
    return this;
  }

  private Behavior<Command> onInputCount(InputCount count) {
    if (!inputComplete || count.complete()) {
      total = Math.max(total, count.emitted());
    }
    if (count.complete()) {
      inputComplete = true;
      total = count.emitted();
    }
    return this;
  }

  private Behavior<Command> onStageCount(StageCount count) {
    stageDone[count.stage()] = Math.max(stageDone[count.stage()], count.done());
    return this;
  }

  private Behavior<Command> onItemFailed(ItemFailed message) {
    Outcome.Failed failure = message.failure();
    failed++;
    stageFailed[failure.stage()]++;
    getContext().getLog().warn("item failed: key {} in stage {} ({}): {}", failure.key(), failure.stage(),
        spec.stages().get(failure.stage() - 1).name(), failure.reason());
    if (failed > spec.maxFailedItems() && state == JobState.RUNNING) {
      state = JobState.FAILED;
      error = failed + " items failed, more than max-failed-items = " + spec.maxFailedItems();
      getContext().getLog().error("stopping job {}: {}", id, error);
      killSwitch.abort(new JobAborted(error));
    }
    return this;
  }

  private Behavior<Command> onSinkCount(SinkCount count) {
    succeeded = Math.max(succeeded, count.succeeded());
    filtered = Math.max(filtered, count.filtered());
    return this;
  }

  private Behavior<Command> onNodeWorked(NodeWorked worked) {
    nodeItems.merge(worked.node(), (long) worked.items(), Long::sum);
    return this;
  }

  private Behavior<Command> onStreamFinished(StreamFinished finished) {
    finishedAt = Instant.now();
    if (state == JobState.RUNNING) {
      if (finished.failure() == null) {
        state = JobState.SUCCEEDED;
      } else {
        state = JobState.FAILED;
        error = Failures.reason(finished.failure(), spec.itemTimeout());
      }
    }
    JobStatus status = status();
    String line = "job {} {} in {} ms: {} items, {} succeeded, {} failed, {} filtered{}";
    Object[] args = {id, state, status.durationMillis(), total, succeeded, failed, filtered,
        error == null ? "" : "; " + error};
    if (state == JobState.SUCCEEDED) {
      getContext().getLog().info(line, args);
    } else {
      getContext().getLog().warn(line, args);
    }
    onFinish.tell(status);
    return finished(status);
  }

  private Behavior<Command> finished(JobStatus status) {
    return Behaviors.receive(Command.class)
        .onMessage(GetStatus.class, request -> {
          request.replyTo().tell(Optional.of(status));
          return Behaviors.same();
        })
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .onAnyMessage(ignored -> Behaviors.same())
        .build();
  }

  private Behavior<Command> onLogProgress() {
    StringBuilder line = new StringBuilder();
    line.append(succeeded + failed + filtered).append('/').append(total < 0 ? "?" : Long.toString(total))
        .append(" items done");
    for (JobSpec.Stage stage : spec.stages()) {
      line.append("; stage ").append(stage.index()).append(' ').append(stage.name())
          .append(": done ").append(stageDone[stage.index()]).append(", failed ")
          .append(stageFailed[stage.index()]);
    }
    getContext().getLog().info("progress: {}", line);
    return this;
  }

  private JobStatus status() {
    List<JobStatus.StageStatus> stages = new ArrayList<>();
    for (JobSpec.Stage stage : spec.stages()) {
      stages.add(new JobStatus.StageStatus(stage.name(), stage.kind(), stageDone[stage.index()],
          stageFailed[stage.index()]));
    }
    Instant end = finishedAt == null ? Instant.now() : finishedAt;
    return new JobStatus(id, spec.name(), state, Duration.between(startedAt, end).toMillis(),
        new JobStatus.Items(total, succeeded, failed, filtered), List.copyOf(stages), error,
        spec.output().map(Object::toString).orElse(null), submittedAt.toString(), startedAt.toString(),
        finishedAt == null ? null : finishedAt.toString(),
        nodeItems.entrySet().stream().map(e -> new JobStatus.NodeItems(e.getKey(), e.getValue())).toList());
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
