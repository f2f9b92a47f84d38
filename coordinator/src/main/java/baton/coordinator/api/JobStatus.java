package baton.coordinator.api;

import baton.protocol.op.OpKind;
import baton.protocol.wire.CborSerializable;
import baton.protocol.wire.Item;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * A job as the outside sees it, and the JSON that {@code baton run --json} prints. Times are ISO-8601 text;
 * {@code error} is null unless the job failed as a whole; {@code waiting} is null unless the running job waits for
 * something other than its own work, such as workers when no node is connected ("waiting for workers: 0 nodes");
 * {@code queuePosition} is null unless the job is QUEUED, and then 1 for the job that starts next; {@code rerunOf}
 * is the id of the job that {@code baton rerun} made this one from, else null.
 *
 * <p>{@code itemsPerSecond}: items finished (succeeded, failed or filtered) per second, over the last few seconds
 * ({@code baton.coordinator.status.window}) while the job runs, over its run once it ended; null before it ran.
 * {@code etaMillis}: the time left at that pace; null unless the job runs, its total is known and it made progress.
 * {@code stateMillis}: milliseconds spent in each state so far ({@code QUEUED}, {@code RUNNING}, {@code STOPPING}),
 * in that order. {@code bottleneck}: the stage whose in-flight count stayed at its parallelism over the last few
 * seconds, as its op's name (with {@code " (stage N)"} when two stages share the op); null when none did or the
 * job does not run.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record JobStatus(
    String id,
    String name,
    JobState state,
    long durationMillis,
    Items items,
    List<StageStatus> stages,
    String error,
    String output,
    String submittedAt,
    String startedAt,
    String finishedAt,
    List<NodeItems> nodes,
    String waiting,
    Integer queuePosition,
    Double itemsPerSecond,
    Long etaMillis,
    Map<String, Long> stateMillis,
    String bottleneck,
    String rerunOf) implements CborSerializable {

  /** A status without pace, times per state, bottleneck or the job it reruns. */
  public JobStatus(String id, String name, JobState state, long durationMillis, Items items,
      List<StageStatus> stages, String error, String output, String submittedAt, String startedAt,
      String finishedAt, List<NodeItems> nodes, String waiting, Integer queuePosition) {
    this(id, name, state, durationMillis, items, stages, error, output, submittedAt, startedAt, finishedAt, nodes,
        waiting, queuePosition, null, null, null, null, null);
  }

  /** A status of a job that is not queued. */
  public JobStatus(String id, String name, JobState state, long durationMillis, Items items,
      List<StageStatus> stages, String error, String output, String submittedAt, String startedAt,
      String finishedAt, List<NodeItems> nodes, String waiting) {
    this(id, name, state, durationMillis, items, stages, error, output, submittedAt, startedAt, finishedAt, nodes,
        waiting, null);
  }

  /** This status with other stage entries. */
  public JobStatus withStages(List<StageStatus> newStages) {
    return new JobStatus(id, name, state, durationMillis, items, newStages, error, output, submittedAt, startedAt,
        finishedAt, nodes, waiting, queuePosition, itemsPerSecond, etaMillis, stateMillis, bottleneck, rerunOf);
  }

  /** This status with the time spent in each state. */
  public JobStatus withStateMillis(Map<String, Long> newStateMillis) {
    return new JobStatus(id, name, state, durationMillis, items, stages, error, output, submittedAt, startedAt,
        finishedAt, nodes, waiting, queuePosition, itemsPerSecond, etaMillis, newStateMillis, bottleneck, rerunOf);
  }

  /** This status with a running job's pace, time left and bottleneck. */
  public JobStatus withPace(Double newItemsPerSecond, Long newEtaMillis, String newBottleneck) {
    return new JobStatus(id, name, state, durationMillis, items, stages, error, output, submittedAt, startedAt,
        finishedAt, nodes, waiting, queuePosition, newItemsPerSecond, newEtaMillis, stateMillis, newBottleneck, rerunOf);
  }

  /**
   * Item counts. {@code total} is -1 until the input's size is known; {@code filtered} counts items an op dropped
   * on purpose (such as {@code grep}); {@code notRun} counts the items a stopped job (cancelled, failed by
   * {@code max-failed-items} or by its stream) left unfinished, and is 0 until the job ends. Once the job is over,
   * each item is in exactly one of the four and {@code succeeded + failed + filtered + notRun == total}.
   */
  public record Items(long total, long succeeded, long failed, long filtered, long notRun)
      implements CborSerializable {
  }

  /** How many items the workers of one cluster member finished for the job. */
  public record NodeItems(String address, long items) implements CborSerializable {
  }

  /**
   * One stage's counts: items it finished (passed on or dropped) and items that failed in it. {@code throttled} is
   * the stage's rate limit as the spec wrote it ({@code "50/s"}) while its calls wait for that limit, else null.
   * While the job runs, {@code inFlight} is what the stage has in flight now (items of an io stage, batches of a cpu
   * stage) and {@code parallelism} the most it may have; both are null otherwise.
   */
  public record StageStatus(String op, OpKind kind, long done, long failed, String throttled, Integer inFlight,
      Integer parallelism) implements CborSerializable {

    /** A stage whose in-flight count is not known (the job does not run). */
    public StageStatus(String op, OpKind kind, long done, long failed, String throttled) {
      this(op, kind, done, failed, throttled, null, null);
    }

    /** A stage not waiting for a rate limit. */
    public StageStatus(String op, OpKind kind, long done, long failed) {
      this(op, kind, done, failed, null);
    }
  }
}
