package baton.app.cli;

import java.io.File;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The class loader that user ops come from: the jars in {@code lib/} of Baton's home and {@code --classpath}. */
final class UserOps {

  private UserOps() {
  }

  /**
   * @param libDir {@code $BATON_HOME/lib}; may be absent
   * @param classpath entries separated by the platform's path separator; jars or class folders
   * @throws IllegalArgumentException when a {@code --classpath} entry does not exist
   */
  static ClassLoader classLoader(Path libDir, String classpath) {
    List<URL> urls = new ArrayList<>();
    if (libDir != null && Files.isDirectory(libDir)) {
      try (Stream<Path> jars = Files.list(libDir)) {
        jars.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> urls.add(url(p)));
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot list " + libDir + ": " + e.getMessage(), e);
      }
    }
    if (classpath != null && !classpath.isBlank()) {
      for (String entry : classpath.split(File.pathSeparator)) {
        if (entry.isBlank()) {
          continue;
        }
        Path path = Path.of(entry).toAbsolutePath().normalize();
        if (!Files.exists(path)) {
          throw new IllegalArgumentException("--classpath entry " + path + " does not exist");
        }
        urls.add(url(path));
      }
    }
    ClassLoader parent = UserOps.class.getClassLoader();
    return urls.isEmpty() ? parent : new URLClassLoader("baton-user-ops", urls.toArray(URL[]::new), parent);
  }

  /** {@code $BATON_HOME/lib}, when bin/baton told us where home is. */
  static Path defaultLibDir() {
    String home = System.getProperty("baton.home");
    return home == null ? null : Path.of(home, "lib");
  }

  private static URL url(Path path) {
    try {
      return path.toUri().toURL();
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException("not a usable path: " + path);
    }
  }
}
