package baton.app.cli;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * The code a job brings ({@code baton submit --classpath}), packed in memory into one jar: the files of each class
 * folder and the entries of each jar, the first of a name winning, except the service files under
 * {@code META-INF/services/}, whose lines are joined so that every jar's ops are found. Entries are sorted and
 * undated, so the same code makes the same bytes, which the coordinator keeps once by their hash.
 */
final class CodeBundle {

  private static final String SERVICES = "META-INF/services/";

  private CodeBundle() {
  }

  /**
   * @param classpath jars and class folders joined by the platform's path separator
   * @param maxBytes the most the bundle may have ({@code baton.http.max-code-bytes})
   * @throws Launch.UserError when an entry does not exist or cannot be read, or the bundle is too large
   */
  static byte[] pack(String classpath, long maxBytes) throws Launch.UserError {
    Map<String, byte[]> entries = new TreeMap<>();
    long total = 0;
    for (String part : classpath.split(File.pathSeparator)) {
      if (part.isBlank()) {
        continue;
      }
      Path path = Path.of(part).toAbsolutePath().normalize();
      try {
        if (Files.isDirectory(path)) {
          total += addFolder(path, entries);
        } else if (Files.isRegularFile(path)) {
          total += addJar(path, entries);
        } else {
          throw new Launch.UserError("--classpath entry " + path + " does not exist");
        }
      } catch (IOException e) {
        throw new Launch.UserError("cannot read --classpath entry " + path + ": " + e.getMessage());
      }
      if (total > maxBytes) {
        throw tooLarge(maxBytes);
      }
    }
    if (entries.keySet().stream().noneMatch(name -> name.startsWith(SERVICES))) {
      throw new Launch.UserError("--classpath " + classpath + " has no META-INF/services/"
          + "baton.protocol.op.OpProvider, so it brings no ops");
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
        ZipEntry zipEntry = new ZipEntry(entry.getKey());
        zipEntry.setTime(0);
        zip.putNextEntry(zipEntry);
        zip.write(entry.getValue());
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new IllegalStateException("a zip in memory cannot fail", e);
    }
    if (bytes.size() > maxBytes) {
      throw tooLarge(maxBytes);
    }
    return bytes.toByteArray();
  }

  private static Launch.UserError tooLarge(long maxBytes) {
    return new Launch.UserError("the --classpath code is larger than the " + maxBytes
        + " bytes a job may bring (baton.http.max-code-bytes)");
  }

  private static long addFolder(Path folder, Map<String, byte[]> entries) throws IOException {
    long added = 0;
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        String name = folder.relativize(file).toString().replace(File.separatorChar, '/');
        byte[] content = Files.readAllBytes(file);
        add(name, content, entries);
        added += content.length;
      }
    }
    return added;
  }

  private static long addJar(Path jar, Map<String, byte[]> entries) throws IOException {
    long added = 0;
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      Enumeration<? extends ZipEntry> all = zip.entries();
      while (all.hasMoreElements()) {
        ZipEntry entry = all.nextElement();
        String name = entry.getName();
        // The manifest and signatures belong to the jar they came from, not to the bundle.
        if (entry.isDirectory() || name.equals("META-INF/MANIFEST.MF")
            || name.matches("META-INF/[^/]+\\.(SF|RSA|DSA|EC)")) {
          continue;
        }
        try (InputStream in = zip.getInputStream(entry)) {
          byte[] content = in.readAllBytes();
          add(name, content, entries);
          added += content.length;
        }
      }
    }
    return added;
  }

  private static void add(String name, byte[] content, Map<String, byte[]> entries) {
    if (name.startsWith(SERVICES) && entries.containsKey(name)) {
      String joined = new String(entries.get(name), StandardCharsets.UTF_8).stripTrailing() + "\n"
          + new String(content, StandardCharsets.UTF_8);
      entries.put(name, joined.getBytes(StandardCharsets.UTF_8));
    } else {
      entries.putIfAbsent(name, content);
    }
  }
}
