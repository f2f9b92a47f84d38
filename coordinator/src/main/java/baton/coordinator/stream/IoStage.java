package baton.coordinator.stream;

import baton.protocol.op.IoContext;
import baton.protocol.op.IoOp;
import baton.protocol.spec.JobSpec;
import baton.protocol.wire.Item;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * An io stage of a job's stream: {@code mapAsyncUnordered} over the op's non-blocking calls, one item per call,
 * {@code parallelism} calls at a time, each limited to the item timeout and retried through {@link StageRetry}.
 */
final class IoStage {

  private final JobSpec.Stage stage;
  private final IoOp op;
  private final IoContext io;
  private final Duration itemTimeout;
  private final StageRetry retry;
  private final int chunkSize;
  private final Timer latency;

  /**
   * @param chunkSize the most items the stage gathers again into one chunk
   * @param latency times each call of the op (each try of an item)
   */
  IoStage(JobSpec.Stage stage, IoContext io, Duration itemTimeout, StageRetry retry, int chunkSize, Timer latency) {
    this.stage = stage;
    this.op = (IoOp) stage.op();
    this.io = io;
    this.itemTimeout = itemTimeout;
    this.retry = retry;
    this.chunkSize = chunkSize;
    this.latency = latency;
  }

  Flow<List<Outcome>, List<Outcome>, NotUsed> flow() {
    return flow(calls -> calls);
  }

  /** The stage with its calls wrapped by {@code gauge} (a {@link StageGauge} that measures them). */
  Flow<List<Outcome>, List<Outcome>, NotUsed> flow(UnaryOperator<Flow<Outcome, Outcome, NotUsed>> gauge) {
    Flow<Outcome, Outcome, NotUsed> calls = Flow.<Outcome>create()
        .mapAsyncUnordered(stage.parallelism(),
            outcome -> outcome instanceof Outcome.Ok ok
                ? retry.run(stage.index(), List.of(ok), this::call).thenApply(outcomes -> outcomes.get(0))
                : CompletableFuture.completedFuture(outcome));
    // Chunks come apart here so that `parallelism` items wait at once; they are gathered again only while the next
    // stage is busy, so nothing waits for a chunk to fill.
    return Flow.<List<Outcome>>create()
        .mapConcat(chunk -> chunk)
        .via(gauge.apply(calls))
        .batch(chunkSize, IoStage::newChunk, IoStage::addToChunk);
  }

  /** One call of the op for one item (the list has just it). */
  private CompletionStage<StageRetry.Tried> call(List<Outcome.Ok> items, int attempt) {
    Outcome.Ok ok = items.get(0);
    Item item = ok.item();
    CompletableFuture<byte[]> call;
    long calling = System.nanoTime();
    try {
      call = op.apply(item.key(), item.payload(), io).toCompletableFuture().copy();
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    return call.orTimeout(itemTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle((payload, error) -> {
          latency.record(System.nanoTime() - calling, TimeUnit.NANOSECONDS);
          return error == null
              ? new StageRetry.Tried(List.of(payload == null
                  ? new Outcome.Dropped(ok.seq(), item.key(), stage.index()) : ok.with(payload)), List.of(), true)
              : new StageRetry.Tried(List.of(),
                  List.of(new StageRetry.Failure(ok, Failures.reason(error, itemTimeout))), true);
        });
  }

  private static List<Outcome> newChunk(Outcome first) {
    List<Outcome> chunk = new ArrayList<>();
    chunk.add(first);
    return chunk;
  }

  private static List<Outcome> addToChunk(List<Outcome> chunk, Outcome next) {
    chunk.add(next);
    return chunk;
  }
}
