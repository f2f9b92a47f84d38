package baton.coordinator;

import baton.protocol.op.OpRegistry;
import baton.protocol.spec.SpecException;
import baton.protocol.wire.CodeChunk;
import baton.protocol.wire.CodeRequest;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Pattern;

/**
 * The code bundles jobs brought ({@code baton submit --classpath}), kept by their SHA-256 in {@code code/} of the
 * coordinator's data folder: each bundle once, however many jobs bring it, and still there after a restart, so that
 * a resumed job finds its code. A coordinator without a data folder keeps them in a temporary folder. Every method
 * blocks on the disk: call them on the blocking dispatcher.
 */
public final class CodeStore {

  private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");

  private final Path dir;
  private final int chunkBytes;

  private CodeStore(Path dir, int chunkBytes) {
    this.dir = dir;
    this.chunkBytes = chunkBytes;
  }

  /** The store of a coordinator with this config: {@code baton.coordinator.data-dir} and {@code baton.code}. */
  public static CodeStore open(Config config) {
    String dataDir = config.getString("baton.coordinator.data-dir");
    try {
      Path dir = dataDir.isEmpty() ? Files.createTempDirectory("baton-code")
          : Files.createDirectories(Path.of(dataDir, "code"));
      return new CodeStore(dir, (int) config.getMemorySize("baton.code.chunk-bytes").toBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the folder for code bundles: " + e.getMessage(), e);
    }
  }

  /**
   * Keeps a bundle (a jar) unless it is kept already, and returns its hash.
   *
   * @throws IllegalArgumentException when the bytes are not a jar (zip)
   */
  public String put(byte[] bundle) {
    if (bundle.length < 4 || bundle[0] != 'P' || bundle[1] != 'K') {
      throw new IllegalArgumentException("the code bundle is not a jar (zip) file");
    }
    String hash = CodeRequest.hashOf(bundle);
    Path file = file(hash);
    if (Files.isRegularFile(file)) {
      return hash;
    }
    try {
      Path partial = Files.createTempFile(dir, hash, ".part");
      Files.write(partial, bundle);
      // A reader never sees half a bundle, and two uploads of one bundle end in the same file.
      Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep the code bundle: " + e.getMessage(), e);
    }
    return hash;
  }

  public boolean has(String hash) {
    return HASH.matcher(hash).matches() && Files.isRegularFile(file(hash));
  }

  /**
   * The registry of a job that brought the bundle {@code hash}: the bundle's ops and the base registry's, in a class
   * loader of that job's own.
   *
   * @throws SpecException when no such bundle is kept
   */
  public OpRegistry registry(OpRegistry base, String hash) {
    if (!has(hash)) {
      throw new SpecException("this coordinator has no code bundle " + hash + "; send it first (POST /api/code)");
    }
    return base.forBundle(file(hash));
  }

  /** The part of a bundle from {@code offset}, at most {@code baton.code.chunk-bytes}. */
  public CodeChunk read(String hash, long offset) {
    if (!has(hash)) {
      return new CodeChunk(hash, offset, 0, new byte[0], "the coordinator has no code bundle " + hash);
    }
    try (RandomAccessFile in = new RandomAccessFile(file(hash).toFile(), "r")) {
      long total = in.length();
      long from = Math.max(0, Math.min(offset, total));
      byte[] bytes = new byte[(int) Math.min(chunkBytes, total - from)];
      in.seek(from);
      in.readFully(bytes);
      return new CodeChunk(hash, from, total, bytes, null);
    } catch (IOException e) {
      return new CodeChunk(hash, offset, 0, new byte[0], "cannot read code bundle " + hash + ": " + e.getMessage());
    }
  }

  private Path file(String hash) {
    return dir.resolve(hash + ".jar");
  }
}
