package baton.protocol.op;

import com.typesafe.config.Config;
import java.io.IOError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The folders file ops may touch ({@code baton.io.roots}). A path is inside when its real location, after {@code ..}
 * and symbolic links, lies under one of them; {@link #inside} answers with that real location, which is the path
 * callers should then open, so that what was checked is what gets read or written.
 */
public final class IoRoots {

  /** A path that leaves the roots, or cannot be resolved well enough to tell. The message is for the user. */
  public static final class OutsideRoots extends IllegalArgumentException {
    OutsideRoots(String message) {
      super(message);
    }
  }

  private final List<Path> roots;

  private IoRoots(List<Path> roots) {
    this.roots = roots;
  }

  /** The roots in {@code baton.io.roots}. */
  public static IoRoots from(Config config) {
    return of(config.getStringList("baton.io.roots").stream().map(Path::of).toList());
  }

  /** The given folders, each resolved to its real location where it exists. */
  public static IoRoots of(List<Path> folders) {
    List<Path> real = new ArrayList<>();
    for (Path folder : folders) {
      Path absolute = folder.toAbsolutePath().normalize();
      try {
        real.add(absolute.toRealPath());
      } catch (IOException e) {
        // A root that does not exist (yet) still bounds paths lexically; nothing under it exists to follow.
        real.add(absolute);
      }
    }
    return new IoRoots(List.copyOf(real));
  }

  /** No roots at all: every path is outside. What ops made on a worker get, where no file op belongs. */
  public static IoRoots none() {
    return new IoRoots(List.of());
  }

  /**
   * The real location of {@code path}: symbolic links followed for the part that exists, {@code ..} folded for the
   * part that does not.
   *
   * @throws OutsideRoots when that location is not under a root, or the path cannot be resolved
   */
  public Path inside(Path path) {
    Path real = realLocation(path);
    for (Path root : roots) {
      if (real.startsWith(root)) {
        return real;
      }
    }
    throw new OutsideRoots(path + " is outside the folders Baton may use (baton.io.roots: " + describe() + ")");
  }

  /** The roots, for messages. */
  public String describe() {
    return roots.isEmpty() ? "none" : roots.stream().map(Path::toString).collect(Collectors.joining(", "));
  }

  private static Path realLocation(Path path) {
    Path absolute;
    try {
      absolute = path.toAbsolutePath();
    } catch (InvalidPathException | IOError e) {
      throw new OutsideRoots("cannot resolve " + path + ": " + e.getMessage());
    }
    // Follow links on the deepest part that exists; what lies below it cannot be a link.
    int existing = absolute.getNameCount();
    Path prefix = absolute;
    while (existing > 0 && !Files.exists(prefix)) {
      if (Files.exists(prefix, LinkOption.NOFOLLOW_LINKS)) {
        // A link whose target is missing: writing through it would create the target, wherever it points.
        throw new OutsideRoots(path + " is a symbolic link to a missing target");
      }
      existing--;
      prefix = existing == 0 ? absolute.getRoot() : absolute.getRoot().resolve(absolute.subpath(0, existing));
    }
    Path real;
    try {
      real = prefix.toRealPath();
    } catch (IOException e) {
      throw new OutsideRoots("cannot resolve " + path + ": " + e.getClass().getSimpleName() + " " + e.getMessage());
    }
    if (existing == absolute.getNameCount()) {
      return real;
    }
    return real.resolve(absolute.subpath(existing, absolute.getNameCount())).normalize();
  }
}
