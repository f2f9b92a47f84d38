package baton.coordinator;

import baton.protocol.IoContext;
import baton.protocol.Item;
import baton.protocol.JobSpec;
import baton.protocol.WorkResult;
import baton.protocol.WorkResult.ItemResult;
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

  private final String jobId;
  private final JobSpec spec;
  private final Runtime runtime;
  private final Listener listener;
  private final long reportNanos;
  private final Progress resumeFrom;

  /**
   * @param resumeFrom what an earlier run of this job already did ({@link Progress#none} for a new job): those
   *     items are skipped, and the output is cut back to what they wrote
   */
  JobStream(String jobId, JobSpec spec, Runtime runtime, Listener listener, Progress resumeFrom) {
    this.jobId = jobId;
    this.spec = spec;
    this.runtime = runtime;
    this.listener = listener;
    this.reportNanos = runtime.settings().reportInterval().toNanos();
    this.resumeFrom = resumeFrom;
  }

  /** Starts the stream: the kill switch cancels it, the stage completes when the last item is written. */
  Pair<UniqueKillSwitch, CompletionStage<Done>> run(Materializer materializer) {
    Source<Outcome, NotUsed> flow = input()
        .zipWithIndex()
        .via(countInput())
        .filter(numbered -> !resumeFrom.isDone(numbered.second()))
        .map(numbered -> new Outcome.Ok(numbered.second(), numbered.first()));
    for (JobSpec.Stage stage : spec.stages()) {
      flow = flow.via(stage.kind() == baton.protocol.OpKind.IO ? ioStage(stage) : cpuStage(stage))
          .via(countStage(stage.index()));
    }
    // The switch sits before the sink, not after the input: once the input is read, a switch there has completed
    // and an abort would wait for every item in flight. Here it fails the sink at once and cancels the stages.
    return flow.viaMat(KillSwitches.single(), Keep.right()).toMat(sink(), Keep.both()).run(materializer);
  }

  private Source<Item, NotUsed> input() {
    JobSpec.Input input = spec.input();
    if (input instanceof JobSpec.Range range) {
      return Source.fromIterator(() -> LongStream.rangeClosed(range.from(), range.to()).iterator())
          .map(n -> Item.ofText(Long.toString(n)));
    }
    if (input instanceof JobSpec.Files files) {
      return Source.from(files.files()).map(file -> new Item(file.toString(), new byte[0]));
    }
    Path file = ((JobSpec.Lines) input).file();
    return FileIO.fromPath(file)
        .via(Framing.delimiter(ByteString.fromString("\n"), runtime.settings().maxLineBytes(),
            FramingTruncation.ALLOW))
        .map(bytes -> stripCarriageReturn(bytes.utf8String()))
        .filter(line -> !line.isBlank())
        .map(Item::ofText)
        .mapMaterializedValue(io -> NotUsed.getInstance());
  }

  private Flow<Outcome, Outcome, NotUsed> ioStage(JobSpec.Stage stage) {
    return Flow.<Outcome>create().mapAsyncUnordered(stage.parallelism(),
        outcome -> outcome instanceof Outcome.Ok ok
            ? runIo(stage, ok, 1)
            : CompletableFuture.completedFuture(outcome));
  }

  private CompletionStage<Outcome> runIo(JobSpec.Stage stage, Outcome.Ok ok, int attempt) {
    baton.protocol.IoOp op = (baton.protocol.IoOp) stage.op();
    Item item = ok.item();
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

  private Flow<Outcome, Outcome, NotUsed> cpuStage(JobSpec.Stage stage) {
    // batchWeighted() only gathers while the asks downstream are all in flight: no waiting for a batch to fill.
    // Each item weighs at least maxBytes / batch, so a batch holds at most `batch` items and about maxBytes bytes.
    long maxBytes = runtime.settings().maxItemBytes();
    long minWeight = Math.max(1, maxBytes / stage.batch());
    return Flow.<Outcome>create()
        .map(outcome -> refuseOversize(stage, outcome, maxBytes))
        .batchWeighted(maxBytes, outcome -> Math.max(minWeight, weight(outcome)), JobStream::newBatch,
            JobStream::addToBatch)
        .mapAsyncUnordered(stage.parallelism(), batch -> runBatch(stage, batch, 1))
        .mapConcat(outcomes -> outcomes);
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
    Duration timeout = spec.itemTimeout();
    CompletionStage<WorkResult> asked = AskPattern.ask(runtime.dispatcher(),
        replyTo -> new WorkDispatcher.Dispatch(jobId, stage.index(), stage.ref(), items, replyTo),
        timeout, runtime.system().scheduler());
    return asked.handle((result, error) -> {
      if (error == null) {
        listener.worked(result.node(), items.size());
      }
      List<Outcome> retry = new ArrayList<>();
      for (int i = 0; i < oks.size(); i++) {
        Outcome.Ok ok = oks.get(i);
        ItemResult itemResult = error == null ? result.results().get(i)
            : ItemResult.failed(ok.key(), Failures.reason(error, timeout));
        switch (itemResult.status()) {
          case OK -> done.add(ok.with(itemResult.payload()));
          case DROPPED -> done.add(new Outcome.Dropped(ok.seq(), ok.key(), stage.index()));
          default -> {
            if (attempt <= spec.retries()) {
              retry.add(ok);
            } else {
              done.add(new Outcome.Failed(ok.seq(), ok.key(), stage.index(), itemResult.error()));
            }
          }
        }
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

  private <T> CompletionStage<T> afterBackoff(int attempt, java.util.concurrent.Callable<CompletionStage<T>> next) {
    return Patterns.after(runtime.settings().backoff(attempt), runtime.system(), next);
  }

  private Flow<Pair<Item, Long>, Pair<Item, Long>, NotUsed> countInput() {
    return Flow.<Pair<Item, Long>>create().statefulMap(Tally::new,
        (tally, numbered) -> {
          tally.count++;
          if (tally.due(reportNanos)) {
            listener.input(tally.count, false);
          }
          return Pair.create(tally, numbered);
        },
        tally -> {
          listener.input(tally.count, true);
          return Optional.empty();
        });
  }

  private Flow<Outcome, Outcome, NotUsed> countStage(int stage) {
    return Flow.<Outcome>create().statefulMap(Tally::new,
        (tally, outcome) -> {
          if (outcome instanceof Outcome.Failed failed) {
            if (failed.stage() == stage) {
              listener.failed(failed);
            }
          } else if (!(outcome instanceof Outcome.Dropped dropped) || dropped.stage() == stage) {
            tally.count++;
          }
          if (tally.due(reportNanos)) {
            listener.stage(stage, tally.count);
          }
          return Pair.create(tally, outcome);
        },
        tally -> {
          listener.stage(stage, tally.count);
          return Optional.empty();
        });
  }

  private Sink<Outcome, CompletionStage<Done>> sink() {
    // The writer runs on Pekko's blocking-I/O dispatcher (mapWithResource's default), one chunk of lines at a time.
    return Flow.<Outcome>create()
        .groupedWithin(OUTPUT_LINES_PER_WRITE, Duration.ofMillis(50))
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

    void write(List<Outcome> chunk) throws IOException {
      if (channel != null) {
        var lines = ByteString.createBuilder();
        for (Outcome outcome : chunk) {
          if (outcome instanceof Outcome.Ok ok) {
            lines.append(OutputLine.of(ok.item()));
          }
        }
        ByteBuffer buffer = lines.result().toByteBuffer();
        while (buffer.hasRemaining()) {
          position += channel.write(buffer);
        }
      }
      for (Outcome outcome : chunk) {
        tracker.record(outcome);
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

  private static List<Outcome> newBatch(Outcome first) {
    List<Outcome> batch = new ArrayList<>();
    batch.add(first);
    return batch;
  }

  private static List<Outcome> addToBatch(List<Outcome> batch, Outcome next) {
    batch.add(next);
    return batch;
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
