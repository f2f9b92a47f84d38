package baton.coordinator.stream;

import baton.protocol.wire.Item;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;

/**
 * The end of a job's stream: writes the output file and the errors file (a line per failed item, {@link ErrorsFile})
 * and tracks what reached it. It takes a checkpoint only right after a write has returned, so the recorded lengths
 * always hold exactly the lines of the items recorded as done.
 */
final class OutputWriter {

  private static final int OUTPUT_LINES_PER_WRITE = 256;

  private final Progress.Tracker tracker;
  private final JobStream.Listener listener;
  private final FileChannel channel;
  private final Optional<Path> errors;
  private final List<String> ops;
  // Opened with the first failed item, or at once when resuming a job whose errors file exists.
  private FileChannel errorsChannel;
  private long errorsPosition;
  private final long reportNanos;
  private final long checkpointNanos;
  private long position;
  private long lastReport = System.nanoTime();
  private long lastCheckpoint = System.nanoTime();

  /**
   * The sink that writes a job's outcomes through an {@link OutputWriter} on Pekko's blocking-I/O dispatcher
   * ({@code mapWithResource}'s default), a few chunks at a time.
   *
   * @param output the file to write, if the job has one
   * @param errors the file of failed items, if the job has one
   * @param ops the op of each stage, by index - 1
   * @param resumeFrom what an earlier run wrote: the files are cut back to it, and the counts go on from it
   */
  static Sink<List<Outcome>, CompletionStage<Done>> sink(Optional<Path> output, Optional<Path> errors,
      List<String> ops, Progress resumeFrom, JobStream.Listener listener, Duration reportInterval,
      Duration checkpointInterval) {
    // The sink completes only once the writer has closed its files and said what they hold (Listener.closed): a
    // stopped stream may fail the sink before the writer's close has run.
    CompletableFuture<Done> closed = new CompletableFuture<>();
    return Flow.<List<Outcome>>create()
        .groupedWeightedWithin(OUTPUT_LINES_PER_WRITE, chunk -> (long) chunk.size(), Duration.ofMillis(50))
        .mapWithResource(
            () -> {
              try {
                return new OutputWriter(output, errors, ops, resumeFrom, listener, reportInterval,
                    checkpointInterval);
              } catch (IOException | RuntimeException e) {
                closed.complete(Done.getInstance());
                throw e;
              }
            },
            (writer, chunks) -> {
              writer.write(chunks);
              return Done.getInstance();
            },
            writer -> {
              try {
                writer.close();
              } finally {
                closed.complete(Done.getInstance());
              }
              return Optional.empty();
            })
        .toMat(Sink.ignore(), Keep.right())
        .mapMaterializedValue(finished -> finished.handle((done, failure) -> closed.thenCompose(
                afterClose -> failure == null ? CompletableFuture.completedFuture(done)
                    : CompletableFuture.<Done>failedFuture(failure)))
            .thenCompose(result -> result));
  }

  private OutputWriter(Optional<Path> output, Optional<Path> errors, List<String> ops, Progress resumeFrom,
      JobStream.Listener listener, Duration reportInterval, Duration checkpointInterval) throws IOException {
    this.tracker = new Progress.Tracker(resumeFrom, ops.size());
    this.listener = listener;
    this.reportNanos = reportInterval.toNanos();
    this.checkpointNanos = checkpointInterval.toNanos();
    this.errors = errors;
    this.ops = ops;
    this.errorsPosition = resumeFrom.errorsLength();
    if (errors.isPresent() && (errorsPosition > 0 || Files.exists(errors.get()))) {
      // Lines written after the checkpoint are written again, so they go; a new job starts the file afresh.
      errorsChannel = openAt(errors.get(), errorsPosition);
    }
    if (output.isEmpty()) {
      channel = null;
      return;
    }
    channel = openAt(output.get(), resumeFrom.outputBytes());
    position = resumeFrom.outputBytes();
  }

  /** Opens a file the job writes, cut back to {@code length}, which it must have. */
  private static FileChannel openAt(Path file, long length) throws IOException {
    FileChannel opened = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    if (opened.size() < length) {
      opened.close();
      throw new IOException("cannot resume: " + file + " has " + Files.size(file)
          + " bytes, fewer than the " + length + " already written");
    }
    opened.truncate(length);
    opened.position(length);
    return opened;
  }

  private void write(List<List<Outcome>> chunks) throws IOException {
    // One pass over the outcomes builds both files' lines; the tracker records them only once they are written.
    var lines = ByteString.createBuilder();
    StringBuilder errorLines = new StringBuilder();
    for (List<Outcome> chunk : chunks) {
      for (Outcome outcome : chunk) {
        if (outcome instanceof Outcome.Ok ok && channel != null) {
          lines.append(OutputLine.of(ok.item()));
        } else if (outcome instanceof Outcome.Failed failed && errors.isPresent()) {
          errorLines.append(ErrorsFile.line(failed, ops.get(failed.stage() - 1)));
        }
      }
    }
    if (channel != null) {
      position += writeAll(channel, lines.result());
    }
    if (!errorLines.isEmpty()) {
      writeErrors(errorLines);
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
      listener.checkpoint(tracker.progress(position, errorsPosition));
    }
  }

  private void writeErrors(CharSequence lines) throws IOException {
    if (errorsChannel == null) {
      Path parent = errors.get().toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      errorsChannel = openAt(errors.get(), errorsPosition);
    }
    errorsPosition += writeAll(errorsChannel, ByteString.fromString(lines.toString(), StandardCharsets.UTF_8));
  }

  private static long writeAll(FileChannel to, ByteString bytes) throws IOException {
    ByteBuffer buffer = bytes.toByteBuffer();
    long written = 0;
    while (buffer.hasRemaining()) {
      written += to.write(buffer);
    }
    return written;
  }

  private void close() throws IOException {
    if (channel != null) {
      channel.force(false);
      channel.close();
    }
    if (errorsChannel != null) {
      errorsChannel.force(false);
      errorsChannel.close();
    }
    // No checkpoint here: the job's end follows at once and supersedes it. Should the process die in between, the
    // job resumes from its last checkpoint, at most checkpoint-interval back, as from anywhere else.
    listener.sink(tracker.succeeded(), tracker.filtered());
    listener.closed(tracker.progress(position, errorsPosition));
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
