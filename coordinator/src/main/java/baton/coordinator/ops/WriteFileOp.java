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
 * {@code write-file { dir }}: writes the payload to {@code dir/<file name of the key>} and passes the payload on
 * unchanged. The folder must lie under {@code baton.io.roots}. The folder is made when the first item arrives.
 */
public final class WriteFileOp implements OpProvider {

  @Override
  public String name() {
    return "write-file";
  }

  @Override
  public OpKind kind() {
    return OpKind.IO;
  }

  @Override
  public Set<String> parameters() {
    return Set.of("dir");
  }

  @Override
  public Op create(OpParams params) {
    Path dir = params.getPath("dir");
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw params.error("dir", "dir " + dir + " is a file, not a folder");
    }
    IoRoots roots = params.roots();
    return (IoOp) (key, payload, context) -> context.blocking(() -> write(roots, dir, key, payload));
  }

  /** The last segment of a key, so that paths and URLs both name a file; never empty, "." or "..". */
  static String fileName(String key) {
    String trimmed = key.replaceAll("[/\\\\]+$", "");
    String name = trimmed.substring(Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\')) + 1);
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("key '" + key + "' names no file");
    }
    return name;
  }

  private static byte[] write(IoRoots roots, Path dir, String key, byte[] payload) {
    // The folder was checked at submit; a link planted in it since must not lead the write elsewhere.
    Path file = roots.inside(dir.resolve(fileName(key)));
    try {
      Files.createDirectories(dir);
      Files.write(file, payload);
      return payload;
    } catch (IOException e) {
      throw new UncheckedIOException(IoFailures.describe(file, e), e);
    }
  }
}
