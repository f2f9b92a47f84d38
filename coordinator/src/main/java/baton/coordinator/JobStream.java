package baton.coordinator;

import baton.protocol.op.IoContext;
import baton.protocol.spec.JobSpec;
import baton.protocol.wire.Item;
import baton.protocol.wire.WorkResult.ItemResult;
import baton.protocol.wire.WorkResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.stream.LongStream;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Framing;
import org.apache.pekko.stream.javadsl.FramingTruncation;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The Pekko Streams graph of one job: input, then each stage, then the output file. Io stages are
 * {@code mapAsyncUnordered} over the op's non-blocking calls; cpu stages gather items into batches while the
 * workers are busy and ask the worker pool, a bounded number of batches at a time, so memory stays bounded
 * however many items the input has. Counts go to the job actor through a {@link Listener}; the stream keeps no
 * state that anything else reads.
 */
final class JobStream {

  /** Where the stream reports what happened; the job actor turns each call into a message to itself. */
  interface Listener {
    void input(long emitted, boolean complete);

    void stage(int stage, long done);

    void failed(Outcome.Failed failure);

    void sink(long succeeded, long filtered);

    void worked(String node, int items);

    /** The output file and the counts agree with this progress; a resumed job starts from it. */
    void checkpoint(Progress progress);
  }

  /** What a job's stream runs on. */
  record Runtime(ActorSystem<?> system, IoContext io, ActorRef<WorkDispatcher.Command> dispatcher,
      CoordinatorSettings settings) {
  }

  private static final int OUTPUT_LINES_PER_WRITE = 256;
  private static final int MIN_BATCHES = 64;
  // Follows the last chunk of an input read to its end; an input cut short by a stop never emits it.
  private static final List<Pair<Item, Long>> END_OF_INPUT = new ArrayList<>(0);

  private final String jobId;
  private final JobSpec spec;
  private final Runtime runtime;
  private final Listener listener;
  private final long reportNanos;
  private final Progress resumeFrom;
  // Completes when the stream has ended, however it ended: from then on no op call starts.
  private final CompletableFuture<Done> ended = new CompletableFuture<>();
  private final ActorRef<WorkDispatcher.Waiting> waitingTo;

  /**
   * @param resumeFrom what an earlier run of this job already did ({@link Progress#none} for a new job): those
   *     items are skipped, and the output is cut back to what they wrote
   * @param waitingTo hears from the dispatcher when the job's cpu work waits for workers, and when they come
   */
  JobStream(String jobId, JobSpec spec, Runtime runtime, Listener listener, Progress resumeFrom,
      ActorRef<WorkDispatcher.Waiting> waitingTo) {
    this.jobId = jobId;
    this.spec = spec;
    this.runtime = runtime;
    this.listener = listener;
    this.reportNanos = runtime.settings().reportInterval().toNanos();
    this.resumeFrom = resumeFrom;
    this.waitingTo = waitingTo;
  }

  /**
   * Starts the stream: the kill switch cancels it, the stage completes when the last item is written. Items travel
   * in chunks (lists of up to {@code chunk} outcomes), so that a tiny item costs one loop step in each stream stage
   * rather than a trip through it; only io stages take the chunks apart, to keep {@code parallelism} items waiting.
   */
  Pair<UniqueKillSwitch, CompletionStage<Done>> run(Materializer materializer) {
    Source<List<Outcome>, NotUsed> flow = numberedChunks()
        .concat(Source.single(END_OF_INPUT))
        .via(countInput())
        .map(this::notDoneYet)
        .filter(chunk -> !chunk.isEmpty());
    for (JobSpec.Stage stage : spec.stages()) {
      flow = flow.via(stage.kind() == baton.protocol.op.OpKind.IO ? ioStage(stage) : cpuStage(stage))
          .via(countStage(stage.index()));
    }
    // The switch sits before the sink, not after the input: once the input is read, a switch there has completed
    // and an abort would wait for every item in flight. Here it fails the sink at once and cancels the stages.
    Pair<UniqueKillSwitch, CompletionStage<Done>> running =
        flow.viaMat(KillSwitches.single(), Keep.right()).toMat(sink(), Keep.both()).run(materializer);
    running.second().whenComplete((done, failure) -> ended.complete(Done.getInstance()));
    return running;
  }

  /**
   * How many items travel together: the first cpu stage's batch, so a chunk is one message to a worker, but no more
   * than a 64th of an input of known size, so that a small job still makes enough batches to spread.
   */
  private int chunkSize() {
    int batch = spec.stages().stream().filter(stage -> stage.kind() == baton.protocol.op.OpKind.CPU)
        .mapToInt(JobSpec.Stage::batch).findFirst().orElse(runtime.settings().job().cpuBatch());
    if (spec.input().size().isEmpty()) {
      return batch;
    }
    long total = spec.input().size().getAsLong();
    return (int) Math.max(1, Math.min(batch, (total + MIN_BATCHES - 1) / MIN_BATCHES));
  }

  /** The input in chunks, each item with its sequence number in the input. */
  private Source<List<Pair<Item, Long>>, NotUsed> numberedChunks() {
    int size = chunkSize();
    if (spec.input() instanceof JobSpec.Range range) {
      // A range makes its chunks directly: no stream stage sees a single number.
      long count = range.to() - range.from() + 1;
      return Source.fromIterator(() -> LongStream.iterate(0, first -> first < count, first -> first + size)
          .iterator())
          .map(first -> {
            int length = (int) Math.min(size, count - first);
            List<Pair<Item, Long>> chunk = new ArrayList<>(length);
            for (long seq = first; seq < first + length; seq++) {
              chunk.add(Pair.create(Item.ofText(Long.toString(range.from() + seq)), seq));
            }
            return chunk;
          });
    }
    return input().zipWithIndex().grouped(size);
  }

  private List<Outcome> notDoneYet(List<Pair<Item, Long>> chunk) {
    List<Outcome> outcomes = new ArrayList<>(chunk.size());
    for (Pair<Item, Long> numbered : chunk) {
      if (!resumeFrom.isDone(numbered.second())) {
        outcomes.add(new Outcome.Ok(numbered.second(), numbered.first()));
      }
    }
    return outcomes;
  }

  private Source<Item, NotUsed> input() {
    JobSpec.Input input = spec.input();
    if (input instanceof JobSpec.Files files) {
      return Source.from(files.files()).map(file -> new Item(file.toString(), new byte[0]));
    }
    return lines(((JobSpec.Lines) input).file(), runtime.settings().maxLineBytes());
  }

  /** The number of items a lines input has, read as a job reads it. */
  static CompletionStage<Long> countLines(Path file, Runtime runtime) {
    return lines(file, runtime.settings().maxLineBytes()).runFold(0L, (count, item) -> count + 1, runtime.system());
  }

  private static Source<Item, NotUsed> lines(Path file, int maxLineBytes) {
    return FileIO.fromPath(file)
        .via(Framing.delimiter(ByteString.fromString("\n"), maxLineBytes, FramingTruncation.ALLOW))
        .map(bytes -> stripCarriageReturn(bytes.utf8String()))
        .filter(line -> !line.isBlank())
        .map(Item::ofText)
        .mapMaterializedValue(io -> NotUsed.getInstance());
  }

  private Flow<List<Outcome>, List<Outcome>, NotUsed> ioStage(JobSpec.Stage stage) {
    // Chunks come apart here so that `parallelism` items wait at once; they are gathered again only while the next
    // stage is busy, so nothing waits for a chunk to fill.
    int size = chunkSize();
    return Flow.<List<Outcome>>create()
        .mapConcat(chunk -> chunk)
        .mapAsyncUnordered(stage.parallelism(),
            outcome -> outcome instanceof Outcome.Ok ok
                ? runIo(stage, ok, 1)
                : CompletableFuture.completedFuture(outcome))
        .batch(size, JobStream::newChunk, JobStream::addToChunk);
  }

  private CompletionStage<Outcome> runIo(JobSpec.Stage stage, Outcome.Ok ok, int attempt) {
    baton.protocol.op.IoOp op = (baton.protocol.op.IoOp) stage.op();
    Item item = ok.item();
    if (ended.isDone()) {
      // A retry whose backoff outlasted the stream (the job was cancelled, say): nothing will read its outcome.
      return CompletableFuture.completedFuture(
          new Outcome.Failed(ok.seq(), item.key(), stage.index(), "not run: the job's stream has ended"));
    }
    CompletableFuture<byte[]> call;
    try {
      call = op.apply(item.key(), item.payload(), runtime.io()).toCompletableFuture().copy();
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    Duration timeout = spec.itemTimeout();
    return call.orTimeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .handle((payload, error) -> {
          if (error == null) {
            return CompletableFuture.<Outcome>completedFuture(payload == null
                ? new Outcome.Dropped(ok.seq(), item.key(), stage.index())
                : ok.with(payload));
          }
          if (attempt <= spec.retries()) {
            return afterBackoff(attempt, () -> runIo(stage, ok, attempt + 1));
          }
          return CompletableFuture.<Outcome>completedFuture(
              new Outcome.Failed(ok.seq(), item.key(), stage.index(), Failures.reason(error, timeout)));
        })
        .thenCompose(next -> next);
  }

  private Flow<List<Outcome>, List<Outcome>, NotUsed> cpuStage(JobSpec.Stage stage) {
    long maxBytes = runtime.settings().maxItemBytes();
    return Flow.<List<Outcome>>create()
        .mapConcat(chunk -> batches(stage, chunk, maxBytes))
        .mapAsyncUnordered(stage.parallelism(), batch -> runBatch(stage, batch, 1));
  }

  /**
   * Cuts a chunk into the batches a worker gets: at most {@code batch} items and about {@code max-item-bytes} bytes
   * each, since a batch is one message across the cluster. An item larger than that fails here, alone.
   */
  private static List<List<Outcome>> batches(JobSpec.Stage stage, List<Outcome> chunk, long maxBytes) {
    List<List<Outcome>> batches = new ArrayList<>(1);
    List<Outcome> batch = new ArrayList<>(Math.min(chunk.size(), stage.batch()));
    long bytes = 0;
    for (Outcome outcome : chunk) {
      Outcome checked = refuseOversize(stage, outcome, maxBytes);
      long weight = weight(checked);
      if (!batch.isEmpty() && (batch.size() >= stage.batch() || bytes + weight > maxBytes)) {
        batches.add(batch);
        batch = new ArrayList<>(Math.min(chunk.size(), stage.batch()));
        bytes = 0;
      }
      batch.add(checked);
      bytes += weight;
    }
    if (!batch.isEmpty()) {
      batches.add(batch);
    }
    return batches;
  }

  private static Outcome refuseOversize(JobSpec.Stage stage, Outcome outcome, long maxBytes) {
    if (outcome instanceof Outcome.Ok ok && ok.item().payload().length > maxBytes) {
      return new Outcome.Failed(ok.seq(), ok.key(), stage.index(), "item has " + ok.item().payload().length
          + " bytes, more than a cpu stage takes (baton.cluster.max-item-bytes = " + maxBytes + ")");
    }
    return outcome;
  }

  private static long weight(Outcome outcome) {
    return outcome instanceof Outcome.Ok ok ? ok.item().payload().length + ok.key().length() : 0;
  }

  private CompletionStage<List<Outcome>> runBatch(JobSpec.Stage stage, List<Outcome> batch, int attempt) {
    List<Outcome> done = new ArrayList<>(batch.size());
    List<Outcome.Ok> oks = new ArrayList<>(batch.size());
    List<Item> items = new ArrayList<>(batch.size());
    for (Outcome outcome : batch) {
      if (outcome instanceof Outcome.Ok ok) {
        oks.add(ok);
        items.add(ok.item());
      } else {
        done.add(outcome);
      }
    }
    if (items.isEmpty()) {
      return CompletableFuture.completedFuture(done);
    }
    // The dispatcher times each item from when a worker starts it, and answers a batch that overran; a batch may
    // wait for workers as long as it takes. The ask's own limit is only a guard against a dispatcher gone silent.
    Duration unanswered = runtime.settings().batchAnswerTimeout();
    CompletionStage<WorkResult> asked = AskPattern.ask(runtime.dispatcher(),
        replyTo -> new WorkDispatcher.Dispatch(jobId, stage.index(), stage.ref(), items, spec.itemTimeout(), replyTo,
            waitingTo),
        unanswered, runtime.system().scheduler());
    return asked.handle((result, error) -> {
      List<Outcome> retry = new ArrayList<>();
      for (int i = 0; i < oks.size(); i++) {
        Outcome.Ok ok = oks.get(i);
        ItemResult itemResult = error == null ? resultOf(result, i, ok, oks.size())
            : ItemResult.failed(ok.key(), Failures.unwrap(error) instanceof TimeoutException
                ? "no answer from the dispatcher for its batch in " + unanswered.toMillis()
                    + " ms (baton.coordinator.batch-answer-timeout)"
                : Failures.reason(error, unanswered));
        switch (itemResult.status()) {
          case OK -> done.add(ok.with(itemResult.payload()));
          case DROPPED -> done.add(new Outcome.Dropped(ok.seq(), ok.key(), stage.index()));
          default -> {
            // Retrying a batch the dispatcher never answered would only queue it a second time.
            if (attempt <= spec.retries() && error == null) {
              retry.add(ok);
            } else {
              done.add(new Outcome.Failed(ok.seq(), ok.key(), stage.index(), itemResult.error()));
            }
          }
        }
      }
      if (error == null && oks.size() > retry.size()) {
        // An item counts for the node that finished it, once; a try that will be retried does not.
        listener.worked(result.node(), oks.size() - retry.size());
      }
      if (retry.isEmpty()) {
        return CompletableFuture.completedFuture(done);
      }
      return afterBackoff(attempt, () -> runBatch(stage, retry, attempt + 1)).thenApply(retried -> {
        done.addAll(retried);
        return done;
      });
    }).thenCompose(next -> next);
  }

  /**
   * The result for item {@code i} of a batch. A worker that answers a result for another key, or fewer results than
   * items, fails just those items; results beyond the batch's items are ignored.
   */
  private static ItemResult resultOf(WorkResult result, int i, Outcome.Ok ok, int items) {
    if (i >= result.results().size()) {
      return ItemResult.failed(ok.key(), "the worker on " + result.node() + " returned " + result.results().size()
          + " results for " + items + " items");
    }
    ItemResult itemResult = result.results().get(i);
    if (!ok.key().equals(itemResult.key())) {
      return ItemResult.failed(ok.key(), "the worker on " + result.node() + " returned a result for key "
          + itemResult.key() + " in its place");
    }
    return itemResult;
  }

  private <T> CompletionStage<T> afterBackoff(int attempt, java.util.concurrent.Callable<CompletionStage<T>> next) {
    return Patterns.after(runtime.settings().backoff(attempt), runtime.system(), next);
  }

  private Flow<List<Pair<Item, Long>>, List<Pair<Item, Long>>, NotUsed> countInput() {
    return Flow.<List<Pair<Item, Long>>>create().statefulMap(Tally::new,
        (tally, chunk) -> {
          if (chunk == END_OF_INPUT) {
            listener.input(tally.count, true);
          } else {
            tally.count += chunk.size();
            if (tally.due(reportNanos)) {
              listener.input(tally.count, false);
            }
          }
          return Pair.create(tally, chunk);
        },
        tally -> {
          // Also runs when a stop cancels the input: then the count is what was read, not the input's size.
          listener.input(tally.count, false);
          return Optional.empty();
        });
  }

  private Flow<List<Outcome>, List<Outcome>, NotUsed> countStage(int stage) {
    return Flow.<List<Outcome>>create().statefulMap(Tally::new,
        (tally, chunk) -> {
          for (Outcome outcome : chunk) {
            if (outcome instanceof Outcome.Failed failed) {
              if (failed.stage() == stage) {
                listener.failed(failed);
              }
            } else if (!(outcome instanceof Outcome.Dropped dropped) || dropped.stage() == stage) {
              tally.count++;
            }
          }
          if (tally.due(reportNanos)) {
            listener.stage(stage, tally.count);
          }
          return Pair.create(tally, chunk);
        },
        tally -> {
          listener.stage(stage, tally.count);
          return Optional.empty();
        });
  }

  private Sink<List<Outcome>, CompletionStage<Done>> sink() {
    // The writer runs on Pekko's blocking-I/O dispatcher (mapWithResource's default), a few chunks at a time.
    return Flow.<List<Outcome>>create()
        .groupedWeightedWithin(OUTPUT_LINES_PER_WRITE, chunk -> (long) chunk.size(), Duration.ofMillis(50))
        .mapWithResource(OutputWriter::new,
            (writer, chunk) -> {
              writer.write(chunk);
              return Done.getInstance();
            },
            writer -> {
              writer.close();
              return Optional.empty();
            })
        .toMat(Sink.ignore(), Keep.right());
  }

  /**
   * Writes the output file and tracks what reached the end of the stream. It takes a checkpoint only right after a
   * write has returned, so the recorded length always holds exactly the lines of the items recorded as done.
   */
  private final class OutputWriter {
    private final Progress.Tracker tracker = new Progress.Tracker(resumeFrom, spec.stages().size());
    private final FileChannel channel;
    private final long checkpointNanos = runtime.settings().checkpointInterval().toNanos();
    private long position;
    private long lastReport = System.nanoTime();
    private long lastCheckpoint = System.nanoTime();

    OutputWriter() throws IOException {
      if (spec.output().isEmpty()) {
        channel = null;
        return;
      }
      Path output = spec.output().get();
      channel = FileChannel.open(output, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      if (channel.size() < resumeFrom.outputBytes()) {
        channel.close();
        throw new IOException("cannot resume: " + output + " has " + Files.size(output)
            + " bytes, fewer than the " + resumeFrom.outputBytes() + " already written");
      }
      channel.truncate(resumeFrom.outputBytes());
      position = resumeFrom.outputBytes();
      channel.position(position);
    }

    void write(List<List<Outcome>> chunks) throws IOException {
      if (channel != null) {
        var lines = ByteString.createBuilder();
        for (List<Outcome> chunk : chunks) {
          for (Outcome outcome : chunk) {
            if (outcome instanceof Outcome.Ok ok) {
              lines.append(OutputLine.of(ok.item()));
            }
          }
        }
        ByteBuffer buffer = lines.result().toByteBuffer();
        while (buffer.hasRemaining()) {
          position += channel.write(buffer);
        }
      }
      for (List<Outcome> chunk : chunks) {
        for (Outcome outcome : chunk) {
          tracker.record(outcome);
        }
      }
      long now = System.nanoTime();
      if (now - lastReport >= reportNanos) {
        lastReport = now;
        listener.sink(tracker.succeeded(), tracker.filtered());
      }
      if (now - lastCheckpoint >= checkpointNanos) {
        lastCheckpoint = now;
        listener.checkpoint(tracker.progress(position));
      }
    }

    void close() throws IOException {
      if (channel != null) {
        channel.force(false);
        channel.close();
      }
      listener.sink(tracker.succeeded(), tracker.filtered());
      listener.checkpoint(tracker.progress(position));
    }
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

  private static String stripCarriageReturn(String line) {
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }

  /** A count owned by one stream operator; reports are throttled to one per report interval. */
  private static class Tally {
    long count;
    private long lastReport = System.nanoTime();

    boolean due(long intervalNanos) {
      long now = System.nanoTime();
      if (now - lastReport < intervalNanos) {
        return false;
      }
      lastReport = now;
      return true;
    }
  }

  /** Formats an output line: {@code KEY<TAB>VALUE}, with backslash, tab, CR and LF escaped in both. */
  static final class OutputLine {
    private OutputLine() {
    }

    static ByteString of(Item item) {
      String value = new String(item.payload(), StandardCharsets.UTF_8);
      return ByteString.fromString(escape(item.key()) + '\t' + escape(value) + '\n', StandardCharsets.UTF_8);
    }

    static String escape(String text) {
      StringBuilder out = null;
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        String replacement = switch (c) {
          case '\\' -> "\\\\";
          case '\t' -> "\\t";
          case '\r' -> "\\r";
          case '\n' -> "\\n";
          default -> null;
        };
        if (replacement != null && out == null) {
          out = new StringBuilder(text.length() + 8).append(text, 0, i);
        }
        if (out != null) {
          if (replacement != null) {
            out.append(replacement);
          } else {
            out.append(c);
          }
        }
      }
      return out == null ? text : out.toString();
    }
  }
}
