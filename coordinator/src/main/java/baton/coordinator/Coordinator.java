package baton.coordinator;

import baton.protocol.JobSpec;
import baton.protocol.JobSpecParser;
import baton.protocol.JobState;
import baton.protocol.JobStatus;
import baton.protocol.SpecException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Accepts jobs: checks each submitted spec (off the actor's thread, since globs touch the disk), gives it an id and
 * starts a {@link Job} actor for it. Keeps the finished jobs' last status for {@code status} and {@code list}.
 */
public final class Coordinator extends AbstractBehavior<Coordinator.Command> {

  public interface Command {
  }

  /**
   * Submits a spec as HOCON text.
   *
   * @param sourceName the name errors give for the spec, usually its file name
   * @param baseDir the folder relative paths in the spec resolve against
   */
  public record Submit(String spec, String sourceName, Path baseDir, ActorRef<SubmitReply> replyTo)
      implements Command {
  }

  /** The answer to {@link Submit}. */
  public sealed interface SubmitReply {
  }

  /** The job was accepted and has started. */
  public record Accepted(JobStatus status) implements SubmitReply {
  }

  /** The spec cannot run; the error says why, for the user. */
  public record Rejected(String error) implements SubmitReply {
  }

  /** The coordinator takes no jobs now. */
  public record Unavailable(String error) implements SubmitReply {
  }

  /** Asks for one job's status; empty when no job has that id. */
  public record GetJob(String id, ActorRef<Optional<JobStatus>> replyTo) implements Command {
  }

  /** Asks for every job the coordinator knows, oldest first. */
  public record ListJobs(ActorRef<List<JobStatus>> replyTo) implements Command {
  }

  /** Cancels a running job; answers with its status after the cancel, or empty when no job has that id. */
  public record CancelJob(String id, ActorRef<Optional<JobStatus>> replyTo) implements Command {
  }

  /** Refuses new jobs from now on (the process is shutting down); running jobs go on. */
  public record StopAccepting(ActorRef<Done> replyTo) implements Command {
  }

  /** Whether the coordinator takes new jobs. */
  public record GetHealth(ActorRef<Health> replyTo) implements Command {
  }

  /** The coordinator's answer to {@link GetHealth}. */
  public record Health(boolean accepting, int runningJobs) {
  }

  private record Validated(Submit submit, JobSpec spec, Throwable error) implements Command {
  }

  private record JobFinished(JobStatus status) implements Command {
  }

  private record JobStopped(String id) implements Command {
  }

  private final CoordinatorSettings settings;
  private final JobSpecParser parser;
  private final JobStream.Runtime runtime;
  private final ActorRef<JobStatus> finishedAdapter;
  private final Map<String, ActorRef<Job.Command>> running = new HashMap<>();
  private final Map<String, JobStatus> finished;
  private boolean accepting = true;

  public static Behavior<Command> create(CoordinatorSettings settings, JobSpecParser parser,
      ActorRef<WorkDispatcher.Command> dispatcher) {
    return Behaviors.setup(context -> new Coordinator(context, settings, parser, dispatcher));
  }

  private Coordinator(ActorContext<Command> context, CoordinatorSettings settings, JobSpecParser parser,
      ActorRef<WorkDispatcher.Command> dispatcher) {
    super(context);
    this.settings = settings;
    this.parser = parser;
    this.runtime = new JobStream.Runtime(context.getSystem(), new IoRuntime(context.getSystem()), dispatcher,
        settings);
    this.finishedAdapter = context.messageAdapter(JobStatus.class, JobFinished::new);
    this.finished = new LinkedHashMap<>(16, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, JobStatus> eldest) {
        return size() > settings.finishedJobsKept();
      }
    };
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(Validated.class, this::onValidated)
        .onMessage(GetJob.class, this::onGetJob)
        .onMessage(ListJobs.class, this::onListJobs)
        .onMessage(CancelJob.class, this::onCancelJob)
        .onMessage(JobFinished.class, this::onJobFinished)
        .onMessage(JobStopped.class, this::onJobStopped)
        .onMessage(StopAccepting.class, this::onStopAccepting)
        .onMessage(GetHealth.class, this::onGetHealth)
        .build();
  }

  private Behavior<Command> onSubmit(Submit submit) {
    if (!accepting) {
      submit.replyTo().tell(new Unavailable("the coordinator is shutting down and takes no new jobs"));
      return this;
    }
    CompletableFuture<JobSpec> checked = runtime.io().blocking(() -> {
      JobSpec spec = parser.parse(submit.spec(), submit.sourceName(), submit.baseDir());
      spec.output().ifPresent(Coordinator::createParent);
      return spec;
    }).toCompletableFuture();
    getContext().pipeToSelf(checked, (spec, error) -> new Validated(submit, spec, error));
    return this;
  }

  private Behavior<Command> onValidated(Validated validated) {
    ActorRef<SubmitReply> replyTo = validated.submit().replyTo();
    if (validated.error() != null) {
      Throwable cause = Failures.unwrap(validated.error());
      if (cause instanceof SpecException || cause instanceof UncheckedIOException) {
        replyTo.tell(new Rejected(cause.getMessage()));
      } else {
        getContext().getLog().error("could not check spec {}", validated.submit().sourceName(), cause);
        replyTo.tell(new Rejected(validated.submit().sourceName() + ": could not check the spec: " + cause));
      }
      return this;
    }
    JobSpec spec = validated.spec();
    String id = newId(spec.name());
    ActorRef<Job.Command> job = getContext().spawn(
        Job.create(id, spec, runtime, Instant.now(), finishedAdapter), "job-" + id);
    getContext().watchWith(job, new JobStopped(id));
    running.put(id, job);
    replyTo.tell(new Accepted(new JobStatus(id, spec.name(), JobState.ACCEPTED, 0,
        new JobStatus.Items(spec.input().size().orElse(-1), 0, 0, 0), List.of(), null,
        spec.output().map(Object::toString).orElse(null), Instant.now().toString(), null, null, List.of())));
    return this;
  }

  private Behavior<Command> onGetJob(GetJob request) {
    ActorRef<Job.Command> job = running.get(request.id());
    if (job != null) {
      job.tell(new Job.GetStatus(request.replyTo()));
    } else {
      request.replyTo().tell(Optional.ofNullable(finished.get(request.id())));
    }
    return this;
  }

  private Behavior<Command> onListJobs(ListJobs request) {
    List<JobStatus> all = new ArrayList<>(finished.values());
    if (running.isEmpty()) {
      request.replyTo().tell(List.copyOf(all));
      return this;
    }
    getContext().spawnAnonymous(StatusCollector.create(all, List.copyOf(running.values()), request.replyTo()));
    return this;
  }

  private Behavior<Command> onCancelJob(CancelJob request) {
    ActorRef<Job.Command> job = running.get(request.id());
    if (job != null) {
      job.tell(new Job.Cancel("cancelled by request"));
      job.tell(new Job.GetStatus(request.replyTo()));
    } else {
      request.replyTo().tell(Optional.ofNullable(finished.get(request.id())));
    }
    return this;
  }

  private Behavior<Command> onJobFinished(JobFinished message) {
    ActorRef<Job.Command> job = running.remove(message.status().id());
    finished.put(message.status().id(), message.status());
    if (job != null) {
      job.tell(Job.Stop.INSTANCE);
    }
    return this;
  }

  private Behavior<Command> onStopAccepting(StopAccepting stop) {
    if (accepting) {
      accepting = false;
      getContext().getLog().info("no longer accepting jobs: shutting down with {} jobs running", running.size());
    }
    stop.replyTo().tell(Done.getInstance());
    return this;
  }

  private Behavior<Command> onGetHealth(GetHealth request) {
    request.replyTo().tell(new Health(accepting, running.size()));
    return this;
  }

  private Behavior<Command> onJobStopped(JobStopped stopped) {
    // A job that stopped without reporting its end crashed; record it rather than leave it running forever.
    if (running.remove(stopped.id()) != null) {
      getContext().getLog().error("job {} stopped unexpectedly", stopped.id());
      finished.put(stopped.id(), new JobStatus(stopped.id(), stopped.id(), JobState.FAILED, 0,
          new JobStatus.Items(-1, 0, 0, 0), List.of(), "the job's actor stopped unexpectedly; see baton.log",
          null, null, null, Instant.now().toString(), List.of()));
    }
    return this;
  }

  private String newId(String name) {
    String slug = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-+|-+$)", "");
    if (slug.isEmpty()) {
      slug = "job";
    }
    slug = slug.length() > 40 ? slug.substring(0, 40) : slug;
    String id;
    do {
      id = slug + "-" + String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
    } while (running.containsKey(id) || finished.containsKey(id));
    return id;
  }

  private static void createParent(Path output) {
    try {
      Path parent = output.getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the folder for output " + output + ": " + e.getMessage(), e);
    }
  }
}
