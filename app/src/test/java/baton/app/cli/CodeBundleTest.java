package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@code submit --classpath} packs a job's code. */
final class CodeBundleTest {

  private static final String SERVICES = "META-INF/services/baton.protocol.op.OpProvider";

  @TempDir
  Path dir;

  @Test
  void pack_folderAndJar_oneJarWithBothAndTheirServicesJoined() throws Exception {
    Path folder = dir.resolve("ops");
    Files.createDirectories(folder.resolve("a"));
    Files.createDirectories(folder.resolve("META-INF/services"));
    Files.writeString(folder.resolve("a/A.class"), "class a");
    Files.writeString(folder.resolve(SERVICES), "a.A\n");
    Path jar = dir.resolve("b.jar");
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(jar))) {
      entry(zip, "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n");
      entry(zip, "b/B.class", "class b");
      entry(zip, SERVICES, "b.B\n");
    }

    byte[] bundle = CodeBundle.pack(folder + File.pathSeparator + jar, 1 << 20);

    Map<String, String> entries = read(bundle);
    assertEquals("class a", entries.get("a/A.class"));
    assertEquals("class b", entries.get("b/B.class"));
    assertEquals("a.A\nb.B\n", entries.get(SERVICES));
    assertTrue(!entries.containsKey("META-INF/MANIFEST.MF"), entries.keySet().toString());
    assertArrayEquals(bundle, CodeBundle.pack(folder + File.pathSeparator + jar, 1 << 20),
        "the same code makes the same bytes, so the coordinator keeps it once");
  }

  @Test
  void pack_overTheLimit_clearErrorNamingTheSetting() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("big/META-INF/services")).getParent().getParent();
    Files.writeString(folder.resolve(SERVICES), "a.A\n");
    Files.write(folder.resolve("blob.bin"), new byte[4096]);

    Launch.UserError error = assertThrows(Launch.UserError.class, () -> CodeBundle.pack(folder.toString(), 1024));

    assertTrue(error.getMessage().contains("baton.http.max-code-bytes"), error.getMessage());
  }

  @Test
  void pack_missingEntryOrNoOps_clearError() throws Exception {
    Launch.UserError missing = assertThrows(Launch.UserError.class,
        () -> CodeBundle.pack(dir.resolve("nope").toString(), 1024));
    Path empty = Files.createDirectories(dir.resolve("empty"));
    Files.writeString(empty.resolve("x.txt"), "x");
    Launch.UserError noOps = assertThrows(Launch.UserError.class, () -> CodeBundle.pack(empty.toString(), 1024));

    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    assertTrue(noOps.getMessage().contains("brings no ops"), noOps.getMessage());
  }

  private static void entry(ZipOutputStream zip, String name, String text) throws Exception {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(text.getBytes(StandardCharsets.UTF_8));
    zip.closeEntry();
  }

  private static Map<String, String> read(byte[] bundle) throws Exception {
    Map<String, String> entries = new TreeMap<>();
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(bundle))) {
      for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
        entries.put(entry.getName(), new String(zip.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    return entries;
  }
}
