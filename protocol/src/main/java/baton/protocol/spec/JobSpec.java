package baton.protocol.spec;

import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A checked job spec: what the coordinator's parser ({@code baton.coordinator.spec.JobSpecParser}) makes of a HOCON file. Paths are absolute; every op has been made
 * once, so a spec that exists can run. {@code errors} is where the failed items go, one line each.
 */
public record JobSpec(
    String name,
    Input input,
    List<Stage> stages,
    Optional<Path> output,
    int maxFailedItems,
    int retries,
    Duration itemTimeout,
    int priority,
    String source,
    Optional<Path> errors) {

  /** A spec without an errors file. */
  public JobSpec(String name, Input input, List<Stage> stages, Optional<Path> output, int maxFailedItems, int retries,
      Duration itemTimeout, int priority, String source) {
    this(name, input, stages, output, maxFailedItems, retries, itemTimeout, priority, source, Optional.empty());
  }

  /** This spec over another input. */
  public JobSpec withInput(Input newInput) {
    return new JobSpec(name, newInput, stages, output, maxFailedItems, retries, itemTimeout, priority, source,
        errors);
  }

  /** This spec writing its succeeded items to {@code newOutput} and its failed ones to {@code newErrors}. */
  public JobSpec withFiles(Optional<Path> newOutput, Optional<Path> newErrors) {
    return new JobSpec(name, input, stages, newOutput, maxFailedItems, retries, itemTimeout, priority, source,
        newErrors);
  }

  /** A spec with the default priority, 0. */
  public JobSpec(String name, Input input, List<Stage> stages, Optional<Path> output, int maxFailedItems, int retries,
      Duration itemTimeout, String source) {
    this(name, input, stages, output, maxFailedItems, retries, itemTimeout, 0, source);
  }

  /** Where a job's items come from. */
  public sealed interface Input {

    /** How many items the input yields, when that is known before reading it. */
    OptionalLong size();
  }

  /** One item per file that matches a glob; the key is the file's path, the payload empty. */
  public record Files(String glob, List<Path> files) implements Input {
    @Override
    public OptionalLong size() {
      return OptionalLong.of(files.size());
    }
  }

  /** One item per line of a file; key and payload are the line. */
  public record Lines(Path file) implements Input {
    @Override
    public OptionalLong size() {
      return OptionalLong.empty();
    }
  }

  /** One item per number from {@code from} to {@code to}, both included; key and payload are the number's text. */
  public record Range(long from, long to) implements Input {
    @Override
    public OptionalLong size() {
      return OptionalLong.of(to - from + 1);
    }
  }

  /**
   * Given keys, one item each: what {@code baton rerun} runs over the items that failed in another job. The payload
   * is the key's text ({@code payloadIsKey}, as the lines and range inputs make it) or empty (as files make it).
   */
  public record Keys(List<String> keys, boolean payloadIsKey) implements Input {
    @Override
    public OptionalLong size() {
      return OptionalLong.of(keys.size());
    }
  }

  /**
   * One stage of the job.
   *
   * @param index 1-based position in the spec
   * @param parallelism items (io) or batches (cpu) in flight at once
   * @param batch how many items travel to a worker together (cpu stages)
   * @param op the op made at submit time; io stages run this instance
   * @param ref what a worker needs to make the same op (cpu stages)
   * @param rate the most items the stage starts per period across the whole job, when the spec sets one
   * @param fixedBatch whether every batch has {@code batch} items (the spec set it); otherwise {@code batch} is
   *     where a cpu stage starts, and it sizes its batches from how long workers take for them
   */
  public record Stage(int index, OpKind kind, int parallelism, int batch, Op op, OpRef ref, Optional<Rate> rate,
      boolean fixedBatch) {

    /** A stage whose batches all have {@code batch} items. */
    public Stage(int index, OpKind kind, int parallelism, int batch, Op op, OpRef ref, Optional<Rate> rate) {
      this(index, kind, parallelism, batch, op, ref, rate, true);
    }

    /** A stage without a rate limit whose batches all have {@code batch} items. */
    public Stage(int index, OpKind kind, int parallelism, int batch, Op op, OpRef ref) {
      this(index, kind, parallelism, batch, op, ref, Optional.empty());
    }

    public String name() {
      return ref.name();
    }
  }

  /**
   * A stage's rate limit: at most {@code items} per {@code per}, as a spec writes it ({@code rate = "50/s"}).
   *
   * @param text the limit as the spec wrote it, for status and logs
   */
  public record Rate(int items, Duration per, String text) {
  }
}
