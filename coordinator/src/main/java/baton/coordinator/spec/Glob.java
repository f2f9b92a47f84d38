package baton.coordinator.spec;

import baton.protocol.op.IoRoots;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Expands a file glob such as {@code data/*.bin} or {@code logs/**.gz} against a folder. */
final class Glob {

  private Glob() {
  }

  /**
   * The regular files that match, sorted by path.
   *
   * @throws IoRoots.OutsideRoots when the folder the walk would start from lies outside the roots, so that a glob
   *     such as {@code /**} never walks the whole disk
   */
  static List<Path> expand(Path baseDir, String glob, IoRoots roots) throws IOException {
    Path pattern = baseDir.resolve(glob).normalize();
    // Walk from the deepest folder that has no glob characters, so "data/*.bin" does not walk the whole disk.
    Path root = pattern.getRoot();
    Path start = root;
    int depth = 0;
    for (Path part : pattern) {
      if (hasGlobChars(part.toString())) {
        break;
      }
      start = start.resolve(part);
      depth++;
    }
    if (depth == pattern.getNameCount()) {
      return Files.isRegularFile(pattern) ? List.of(pattern) : List.of();
    }
    if (!Files.isDirectory(start)) {
      return List.of();
    }
    roots.inside(start);
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + escape(pattern.toString()));
    List<Path> matches = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(start)) {
      walk.filter(Files::isRegularFile).filter(matcher::matches).sorted().forEach(matches::add);
    }
    return matches;
  }

  private static boolean hasGlobChars(String part) {
    return part.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
  }

  private static String escape(String pattern) {
    return pattern.replace("\\", "\\\\");
  }
}
