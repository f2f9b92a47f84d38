package baton.coordinator;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.coordinator.stream.Progress;
import baton.protocol.op.OpKind;
import baton.protocol.wire.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The journal's own types, version 1: every event and snapshot that {@link Job} and {@link Coordinator} write, and
 * nothing else. They are serialized by Jackson (CBOR) with the class name as manifest, so the names and fields
 * below are the journal's format; the API's {@link JobStatus} is built from them ({@link JobSummary#toStatus}) and
 * never persisted, so a change to the API cannot change the journal. {@link Progress} is part of this format too.
 *
 * <p>How to change the format: a field may be added as nullable (or with a default in a compact constructor), since
 * older rows leave it out; anything else (a rename, a removed field, a changed type, a moved class) makes a
 * {@code JournalV2} with the new types, which new events use, while the event handlers and snapshot adapters keep
 * reading the V1 types (or a {@code JacksonMigration} bound in {@code pekko.serialization.jackson.migrations}
 * rewrites them). {@code JournalFixtureTest} reads a journal written by version 1 and must keep passing.
 */
final class JournalV1 {

  private JournalV1() {
  }

  /** A job's state as the journal keeps it. */
  enum State {
    ACCEPTED, QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    JobState toApi() {
      return switch (this) {
        case ACCEPTED -> JobState.ACCEPTED;
        case QUEUED -> JobState.QUEUED;
        case RUNNING -> JobState.RUNNING;
        case SUCCEEDED -> JobState.SUCCEEDED;
        case FAILED -> JobState.FAILED;
        case CANCELLED -> JobState.CANCELLED;
      };
    }

    static State of(JobState state) {
      return switch (state) {
        case ACCEPTED -> ACCEPTED;
        case QUEUED -> QUEUED;
        case RUNNING -> RUNNING;
        case SUCCEEDED -> SUCCEEDED;
        case FAILED -> FAILED;
        case CANCELLED -> CANCELLED;
      };
    }

    boolean isFinal() {
      return toApi().isFinal();
    }
  }

  /** Item counts; once a job ended, {@code succeeded + failed + filtered + notRun == total}. */
  record Counts(long total, long succeeded, long failed, long filtered, long notRun) {
  }

  /** One stage's counts; {@code kind} is the op kind's name ({@code IO} or {@code CPU}). */
  record StageCounts(String op, String kind, long done, long failed) {
  }

  /** Items one cluster member's workers finished for a job. */
  record NodeCount(String address, long items) {
  }

  /**
   * The milliseconds a job spent in each state, from the journal's times: QUEUED (a job that waited for one of the
   * max-running-jobs) or ACCEPTED (one that did not) from its submission until its stream first started, RUNNING
   * from then until a stop was decided ({@code stoppingAt}) or until {@code end}, STOPPING from the stop until
   * {@code end}. A coordinator that was down meanwhile leaves no trace in the journal, so its downtime counts to the
   * state the job was in.
   */
  static Map<String, Long> millisPerState(boolean queued, String submittedAt, String startedAt, String stoppingAt,
      Instant end) {
    return millisPerState(queued, submittedAt == null ? null : instant(submittedAt),
        startedAt == null ? null : instant(startedAt), stoppingAt == null ? null : instant(stoppingAt), end);
  }

  /** {@link #millisPerState(boolean, String, String, String, Instant)} of times already read. */
  static Map<String, Long> millisPerState(boolean queued, Instant submitted, Instant started, Instant stopping,
      Instant end) {
    Map<String, Long> millis = new LinkedHashMap<>();
    if (submitted != null) {
      millis.put(queued ? "QUEUED" : "ACCEPTED", between(submitted, started == null ? end : started));
    }
    if (started != null) {
      millis.put("RUNNING", between(started, stopping == null ? end : stopping));
      if (stopping != null) {
        millis.put("STOPPING", between(stopping, end));
      }
    }
    return Collections.unmodifiableMap(millis);
  }

  /**
   * A time of the journal (or the API), as {@link Instant#parse} reads it, with the same exception for bad text. The
   * form {@link Instant#toString} writes for years 0 to 9999 is read directly: the formatter's parse was 3% of the
   * coordinator's CPU with many tiny jobs (a status reads two or three times).
   */
  static Instant instant(String text) {
    int length = text.length();
    if (length >= 20 && length <= 30 && length != 21 && text.charAt(4) == '-' && text.charAt(7) == '-'
        && text.charAt(10) == 'T' && text.charAt(13) == ':' && text.charAt(16) == ':'
        && text.charAt(length - 1) == 'Z' && (length == 20 || text.charAt(19) == '.')) {
      int year = digits(text, 0, 4);
      int month = digits(text, 5, 7);
      int day = digits(text, 8, 10);
      int hour = digits(text, 11, 13);
      int minute = digits(text, 14, 16);
      int second = digits(text, 17, 19);
      int fraction = length == 20 ? 0 : digits(text, 20, length - 1);
      // Anything else (a leap second, a bad date) goes to Instant.parse, which says what is wrong.
      if (year >= 0 && month >= 1 && month <= 12 && day >= 1 && hour >= 0 && hour <= 23 && minute >= 0
          && minute <= 59 && second >= 0 && second <= 59 && fraction >= 0
          && (day <= 28 || day <= YearMonth.of(year, month).lengthOfMonth())) {
        long epochDay = LocalDate.of(year, month, day).toEpochDay();
        long nanos = fraction;
        for (int scale = length - 21; scale < 9; scale++) {
          nanos *= 10;
        }
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600 + minute * 60 + second, nanos);
      }
    }
    return Instant.parse(text);
  }

  // The number the decimal digits from..to-1 of text make, or -1 when one is not a digit.
  private static int digits(String text, int from, int to) {
    int value = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static long between(Instant from, Instant to) {
    return Math.max(0, Duration.between(from, to).toMillis());
  }

  /**
   * What is known of a job at one moment: how an ended job is kept, and what {@code status} shows. Times are
   * ISO-8601 text, null when not reached. {@code stateMillis} (null in journals older than it) is the time spent
   * in each state, see {@link #millisPerState(boolean, String, String, String, Instant)}. {@code errors} is the file
   * of the job's failed items (null: it has none, or ended in a journal older than it), {@code rerunOf} the job it
   * reruns (null: none).
   */
  record JobSummary(String id, String name, State state, long durationMillis, Counts counts,
      List<StageCounts> stages, String error, String output, String submittedAt, String startedAt,
      String finishedAt, List<NodeCount> nodes, Map<String, Long> stateMillis, String errors, String rerunOf) {

    /** A summary whose times per state follow from its submission, start and end. */
    JobSummary(String id, String name, State state, long durationMillis, Counts counts, List<StageCounts> stages,
        String error, String output, String submittedAt, String startedAt, String finishedAt,
        List<NodeCount> nodes) {
      this(id, name, state, durationMillis, counts, stages, error, output, submittedAt, startedAt, finishedAt, nodes,
          null, null, null);
    }

    /** This summary with the time spent in each state. */
    JobSummary(String id, String name, State state, long durationMillis, Counts counts, List<StageCounts> stages,
        String error, String output, String submittedAt, String startedAt, String finishedAt,
        List<NodeCount> nodes, Map<String, Long> stateMillis) {
      this(id, name, state, durationMillis, counts, stages, error, output, submittedAt, startedAt, finishedAt, nodes,
          stateMillis, null, null);
    }

    /** This summary of a job whose failed items are in {@code file} (null: none) and that reruns {@code of}. */
    JobSummary with(String file, String of) {
      return new JobSummary(id, name, state, durationMillis, counts, stages, error, output, submittedAt, startedAt,
          finishedAt, nodes, stateMillis, file, of);
    }

    /** A job that ended before it ran (its spec could no longer be read, or its actor stopped unexpectedly). */
    static JobSummary failedBeforeRun(String id, String name, String submittedAt, String error, String finishedAt) {
      return new JobSummary(id, name, State.FAILED, 0, new Counts(-1, 0, 0, 0, 0), List.of(), error, null,
          submittedAt, null, finishedAt, List.of());
    }

    /** A job just accepted, before its actor reports. */
    static JobSummary accepted(String id, String name, long total, String output, String submittedAt) {
      return accepted(id, name, total, output, submittedAt, null);
    }

    /** A job just accepted that reruns {@code rerunOf} (null: none), before its actor reports. */
    static JobSummary accepted(String id, String name, long total, String output, String submittedAt,
        String rerunOf) {
      return new JobSummary(id, name, State.ACCEPTED, 0, new Counts(total, 0, 0, 0, 0), List.of(), null, output,
          submittedAt, null, null, List.of(), null, null, rerunOf);
    }

    /** A job waiting in the queue, or just taken from it and not yet started. */
    static JobSummary waiting(JobAccepted accepted, State state) {
      return new JobSummary(accepted.id(), accepted.name(), state, 0,
          new Counts(accepted.totalOrUnknown(), 0, 0, 0, 0), List.of(), null, null, accepted.submittedAt(), null,
          null, List.of(), null, null, accepted.rerunOf());
    }

    /** A job cancelled while it waited in the queue: none of its {@code total} items ran (-1: not known). */
    static JobSummary cancelledWhileQueued(JobAccepted accepted, long total, String reason, String finishedAt) {
      return new JobSummary(accepted.id(), accepted.name(), State.CANCELLED, 0,
          new Counts(total, 0, 0, 0, Math.max(total, 0)), List.of(), reason, null, accepted.submittedAt(), null,
          finishedAt, List.of(), null, null, accepted.rerunOf());
    }

    /** The API's view of an ended job (nothing to wait for). */
    JobStatus toStatus() {
      return toStatus(null);
    }

    /** The API's view; {@code waiting} says what a running job waits for besides its work, or null. */
    JobStatus toStatus(String waiting) {
      return toStatus(waiting, null);
    }

    /** The API's view of a job that may be queued: {@code queuePosition} is 1 for the next to start, else null. */
    JobStatus toStatus(String waiting, Integer queuePosition) {
      // Summaries older than stateMillis say nothing of a wait in the queue, unless the job never left it.
      boolean queued = state == State.QUEUED || state == State.CANCELLED && startedAt == null;
      Map<String, Long> states = stateMillis != null ? stateMillis : millisPerState(queued, submittedAt, startedAt,
          null, finishedAt == null ? Instant.now() : instant(finishedAt));
      long finished = counts.succeeded() + counts.failed() + counts.filtered();
      // A running job's pace is over the last few seconds, which only its actor knows; an ended one's over its run.
      Double perSecond = state.isFinal() && startedAt != null && durationMillis > 0
          ? finished * 1000.0 / durationMillis : null;
      return new JobStatus(id, name, state.toApi(), durationMillis,
          new JobStatus.Items(counts.total(), counts.succeeded(), counts.failed(), counts.filtered(),
              counts.notRun()),
          stages.stream().map(s -> new JobStatus.StageStatus(s.op(), OpKind.valueOf(s.kind()), s.done(), s.failed()))
              .toList(),
          error, output, submittedAt, startedAt, finishedAt,
          nodes.stream().map(n -> new JobStatus.NodeItems(n.address(), n.items())).toList(), waiting,
          queuePosition, perSecond, null, states, null, rerunOf);
    }

    /** The journal's view of a status a job reported (its {@code waiting} is not kept). */
    static JobSummary of(JobStatus status) {
      JobStatus.Items items = status.items();
      return new JobSummary(status.id(), status.name(), State.of(status.state()), status.durationMillis(),
          new Counts(items.total(), items.succeeded(), items.failed(), items.filtered(), items.notRun()),
          status.stages().stream().map(s -> new StageCounts(s.op(), s.kind().name(), s.done(), s.failed())).toList(),
          status.error(), status.output(), status.submittedAt(), status.startedAt(), status.finishedAt(),
          status.nodes().stream().map(n -> new NodeCount(n.address(), n.items())).toList(), status.stateMillis(),
          null, status.rerunOf());
    }
  }

  // ---- the events and snapshot of a job (persistence id baton-job|<id>) ----

  /** What the journal keeps of one job. */
  interface JobEvent extends CborSerializable {
  }

  /**
   * The job's stream started for the first time; {@code queued} is true when it waited in the queue before (null: it
   * did not, or a journal older than it).
   */
  record Started(String startedAt, Boolean queued) implements JobEvent {
  }

  /** The output and the counts reached a checkpoint. */
  record Progressed(Progress progress) implements JobEvent {
  }

  /**
   * The job is being stopped ({@code FAILED} or {@code CANCELLED}); a resumed job ends at once in this state.
   * {@code at} is when the stop was decided (ISO-8601; null in journals older than it).
   */
  record Stopping(State state, String reason, String at) implements JobEvent {
  }

  /** The job ended. */
  record Ended(JobSummary job) implements JobEvent {
  }

  /**
   * A job's durable state; {@code progress} is null until the first checkpoint, {@code end} until it ends,
   * {@code stoppingAt} until a stop is decided (and in journals older than it), {@code queued} (see
   * {@link Started}) unless the job waited in the queue.
   */
  record JobSnapshot(String startedAt, Progress progress, State stopping, String stopReason, JobSummary end,
      String stoppingAt, Boolean queued) implements CborSerializable {
  }

  // ---- the events and snapshot of the coordinator (persistence id baton-coordinator) ----

  /** What the journal keeps of the coordinator: the jobs it accepted and how each ended. */
  interface CoordinatorEvent extends CborSerializable {
  }

  /**
   * A job was accepted: enough to run it again after a restart. A files input keeps the files it matched, so a
   * resumed job numbers its items as the first run did. {@code priority} (null: 0) orders the queue, {@code total}
   * is the input's size (-1: not known before reading it; null in journals older than the queue), and
   * {@code queued} is true while the job waits for one of the {@code max-running-jobs} ({@link JobDequeued} ends
   * the wait; null: it started at once). {@code rerun} is null unless the job reruns another.
   */
  record JobAccepted(String id, String name, String spec, String sourceName, String baseDir, String submittedAt,
      List<String> files, Integer priority, Long total, Boolean queued, String code, Rerun rerun)
      implements CoordinatorEvent {

    /**
     * {@code code}: the hash of the code bundle the job brought (its ops), or null; journals before it had none.
     * {@code rerun}: null unless the job reruns another.
     */
    @com.fasterxml.jackson.annotation.JsonCreator
    JobAccepted {
    }

    JobAccepted(String id, String name, String spec, String sourceName, String baseDir, String submittedAt,
        List<String> files, Integer priority, Long total, Boolean queued) {
      this(id, name, spec, sourceName, baseDir, submittedAt, files, priority, total, queued, null, null);
    }

    String rerunOf() {
      return rerun == null ? null : rerun.of();
    }

    boolean waits() {
      return Boolean.TRUE.equals(queued);
    }

    int priorityOrZero() {
      return priority == null ? 0 : priority;
    }

    long totalOrUnknown() {
      return total == null ? -1 : total;
    }

    /** The same job, waiting in the queue. */
    JobAccepted intoQueue() {
      return new JobAccepted(id, name, spec, sourceName, baseDir, submittedAt, files, priority, total, Boolean.TRUE,
          code, rerun);
    }

    /** The same job, no longer waiting. */
    JobAccepted dequeued() {
      return new JobAccepted(id, name, spec, sourceName, baseDir, submittedAt, files, priority, total, null, code,
          rerun);
    }
  }

  /**
   * What makes an accepted job a rerun of job {@code of}: its input is {@code keys} (null: the spec's own input), and
   * it writes to {@code output} and {@code errors} (absolute paths; null: none) instead of the spec's files.
   */
  record Rerun(String of, List<String> keys, String output, String errors) {
  }

  /** A queued job got its turn: it starts now, and resumes (no longer waits) after a restart. */
  record JobDequeued(String id) implements CoordinatorEvent {
  }

  /** A job ended. */
  record JobEnded(JobSummary job) implements CoordinatorEvent {
  }

  /** The coordinator's jobs: the ones not ended, and the last ones that did, oldest first. */
  record JobsSnapshot(List<JobAccepted> open, List<JobSummary> finished) implements CborSerializable {
  }
}
