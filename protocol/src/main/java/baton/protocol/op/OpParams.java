package baton.protocol.op;

import baton.protocol.spec.Origins;
import baton.protocol.spec.SpecException;
import baton.protocol.spec.WholeNumbers;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigOrigin;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * One stage's parameters as written in the spec, over the op's defaults from {@code baton.ops.<name>}. Every getter
 * checks type and range and throws a {@link SpecException} that names the spec line.
 */
public final class OpParams {

  private final String op;
  private final Config config;
  private final Path baseDir;
  private final ConfigOrigin stageOrigin;
  private final IoRoots roots;

  OpParams(String op, Config config, Path baseDir, ConfigOrigin stageOrigin, IoRoots roots) {
    this.op = op;
    this.config = config;
    this.baseDir = baseDir;
    this.stageOrigin = stageOrigin;
    this.roots = roots;
  }

  /** The op's name, for messages. */
  public String op() {
    return op;
  }

  /** The folder that relative paths resolve against: the spec file's folder. */
  public Path baseDir() {
    return baseDir;
  }

  /**
   * The folders the op may touch. Paths known only when an item arrives (a key naming a file) must pass
   * {@link IoRoots#inside} before the op opens them; the op then opens the path that call returns.
   */
  public IoRoots roots() {
    return roots;
  }

  public boolean has(String name) {
    return config.hasPath(name);
  }

  public int getInt(String name, int min, int max) {
    return (int) getLong(name, min, max);
  }

  public long getLong(String name, long min, long max) {
    long value = read(name, () -> WholeNumbers.get(config, name));
    if (value < min || value > max) {
      throw error(name, name + " must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  /** A size in bytes, written as a number or with a unit such as {@code 64MiB}. */
  public long getBytes(String name, long min, long max) {
    long value = read(name, () -> config.getBytes(name));
    if (value < min || value > max) {
      throw error(name, name + " must be between " + min + " and " + max + " bytes, got " + value);
    }
    return value;
  }

  public String getString(String name) {
    String value = read(name, () -> config.getString(name));
    if (value.isBlank()) {
      throw error(name, name + " must not be empty");
    }
    return value;
  }

  public Duration getDuration(String name, Duration min, Duration max) {
    Duration value = read(name, () -> config.getDuration(name));
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw error(name, name + " must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  /**
   * A path parameter, resolved against the spec's folder, that lies under {@code baton.io.roots}: the real
   * location, after {@code ..} and symbolic links.
   */
  public Path getPath(String name) {
    String text = getString(name);
    try {
      return roots.inside(baseDir.resolve(text));
    } catch (IoRoots.OutsideRoots | InvalidPathException e) {
      throw error(name, name + ": " + e.getMessage());
    }
  }

  /** A {@link SpecException} about the given parameter, naming its line in the spec. */
  public SpecException error(String name, String message) {
    ConfigOrigin origin = config.hasPath(name) ? config.getValue(name).origin() : stageOrigin;
    return new SpecException(Origins.where(origin) + "op " + op + ": " + message);
  }

  private <T> T read(String name, Supplier<T> getter) {
    if (!config.hasPath(name)) {
      throw error(name, "missing parameter " + name);
    }
    try {
      return getter.get();
    } catch (ConfigException.WrongType | ConfigException.BadValue e) {
      throw error(name, name + ": " + Origins.withoutOrigin(e));
    }
  }
}
