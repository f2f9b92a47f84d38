package baton.coordinator.stream;

import baton.protocol.spec.JobSpec;
import baton.protocol.wire.Item;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Framing;
import org.apache.pekko.stream.javadsl.FramingTruncation;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The start of a job's stream: the items of its input (a range of numbers, the lines of a file, a list of files, a
 * rerun's keys), each with its sequence number in the input, in chunks.
 */
final class InputSource {

  /** Follows the last chunk of an input read to its end; an input cut short by a stop never emits it. */
  static final List<Pair<Item, Long>> END_OF_INPUT = new ArrayList<>(0);

  private InputSource() {
  }

  /** The input in chunks of {@code size} items, each item with its sequence number, then {@link #END_OF_INPUT}. */
  static Source<List<Pair<Item, Long>>, NotUsed> numberedChunks(JobSpec.Input input, int size, int maxLineBytes) {
    return chunks(input, size, maxLineBytes).concat(Source.single(END_OF_INPUT));
  }

  private static Source<List<Pair<Item, Long>>, NotUsed> chunks(JobSpec.Input input, int size, int maxLineBytes) {
    if (input instanceof JobSpec.Range range) {
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
    return items(input, maxLineBytes).zipWithIndex().grouped(size);
  }

  private static Source<Item, NotUsed> items(JobSpec.Input input, int maxLineBytes) {
    if (input instanceof JobSpec.Files files) {
      return Source.from(files.files()).map(file -> new Item(file.toString(), new byte[0]));
    }
    if (input instanceof JobSpec.Keys keys) {
      return Source.from(keys.keys()).map(key -> keys.payloadIsKey() ? Item.ofText(key) : new Item(key, new byte[0]));
    }
    return lines(((JobSpec.Lines) input).file(), maxLineBytes);
  }

  /** The non-blank lines of a file, without their line ends, each an item whose key and payload are the line. */
  static Source<Item, NotUsed> lines(Path file, int maxLineBytes) {
    return FileIO.fromPath(file)
        .via(Framing.delimiter(ByteString.fromString("\n"), maxLineBytes, FramingTruncation.ALLOW))
        .map(bytes -> stripCarriageReturn(bytes.utf8String()))
        .filter(line -> !line.isBlank())
        .map(Item::ofText)
        .mapMaterializedValue(io -> NotUsed.getInstance());
  }

  private static String stripCarriageReturn(String line) {
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }
}
