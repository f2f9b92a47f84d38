package baton.coordinator.ops;

import baton.protocol.op.IoOp;
import baton.protocol.op.IoRoots;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code read-file { max-bytes }}: the payload becomes the bytes of the file the key names (relative keys resolve
 * against the spec's folder) if it lies under {@code baton.io.roots}; any other key fails its item. The read runs
 * on the blocking-I/O dispatcher; a file larger than {@code max-bytes} fails its item rather than the memory of the
 * process.
 */
public final class ReadFileOp implements OpProvider {

  @Override
  public String name() {
    return "read-file";
  }

  @Override
  public OpKind kind() {
    return OpKind.IO;
  }

  @Override
  public Set<String> parameters() {
    return Set.of("max-bytes");
  }

  @Override
  public Op create(OpParams params) {
    long maxBytes = params.getBytes("max-bytes", 1, Integer.MAX_VALUE - 16);
    Path baseDir = params.baseDir();
    IoRoots roots = params.roots();
    // The key may come from a lines or range input, so it is checked here, item by item, not at submit.
    return (IoOp) (key, payload, context) ->
        context.blocking(() -> read(roots.inside(baseDir.resolve(key)), maxBytes));
  }

  private static byte[] read(Path file, long maxBytes) {
    try {
      long size = Files.size(file);
      if (size > maxBytes) {
        throw new IllegalArgumentException(file + " has " + size + " bytes, more than max-bytes = " + maxBytes);
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(IoFailures.describe(file, e), e);
    }
  }
}
