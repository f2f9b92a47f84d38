package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.op.OpProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A user op compiled and jarred by the test, then run with {@code baton run --classpath}. */
@ExtendWith(Cli.RestoresTestLogging.class)
final class UserOpJarTest {

  private static final String SOURCE = """
      package testops;

      import baton.protocol.op.CpuOp;
      import baton.protocol.op.Op;
      import baton.protocol.op.OpKind;
      import baton.protocol.op.OpParams;
      import baton.protocol.op.OpProvider;
      import java.nio.charset.StandardCharsets;
      import java.util.Set;

      public final class SuffixOp implements OpProvider {
        @Override public String name() { return "suffix"; }
        @Override public OpKind kind() { return OpKind.CPU; }
        @Override public Set<String> parameters() { return Set.of("text"); }
        @Override public Op create(OpParams params) {
          String text = params.getString("text");
          return (CpuOp) (key, payload) ->
              (new String(payload, StandardCharsets.UTF_8) + text).getBytes(StandardCharsets.UTF_8);
        }
      }
      """;

  @TempDir
  Path dir;

  @Test
  void run_userOpJarOnClasspath_opRunsOnTheWorkers() throws Exception {
    Path jar = buildOpJar();
    Path spec = Files.writeString(dir.resolve("suffix.conf"), "input.range { from = 1, to = 50 }\n"
        + "stages = [ { op = suffix, text = \"-done\" } ]\noutput = out.tsv\n");

    Cli.Run run = Cli.run("run", spec.toString(), "--quiet", "--classpath", jar.toString(),
        "--log-dir", dir.resolve("logs").toString());

    assertEquals(0, run.code(), run.toString());
    Map<String, String> expected = new HashMap<>();
    for (int n = 1; n <= 50; n++) {
      expected.put(Integer.toString(n), n + "-done");
    }
    Map<String, String> output = new HashMap<>();
    for (String line : Files.readAllLines(dir.resolve("out.tsv"))) {
      String[] parts = line.split("\t", -1);
      output.put(parts[0], parts[1]);
    }
    assertEquals(expected, output);
  }

  @Test
  void run_userOpWithoutItsJar_exit2UnknownOp() throws Exception {
    Path spec = Files.writeString(dir.resolve("suffix.conf"), "input.range { from = 1, to = 5 }\n"
        + "stages = [ { op = suffix, text = \"-done\" } ]\n");

    Cli.Run run = Cli.run("run", spec.toString(), "--quiet", "--log-dir", dir.resolve("logs").toString());

    assertEquals(2, run.code(), run.toString());
    assertTrue(run.err().contains("unknown op suffix"), run.err());
  }

  private Path buildOpJar() throws Exception {
    Path sources = Files.createDirectories(dir.resolve("src/testops"));
    Path classes = Files.createDirectories(dir.resolve("classes"));
    Path source = Files.writeString(sources.resolve("SuffixOp.java"), SOURCE);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertNotNull(javac, "tests need a JDK, not a JRE");
    // Surefire may hand the JVM a manifest-only jar as java.class.path, so name the protocol classes too.
    String classpath = Path.of(OpProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        + java.io.File.pathSeparator + System.getProperty("java.class.path");
    int result = javac.run(null, null, null, "--release", "17", "-classpath", classpath, "-d",
        classes.toString(), source.toString());
    assertEquals(0, result, "javac failed");

    Path jar = dir.resolve("suffix-op.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      List<Path> files = new ArrayList<>();
      try (Stream<Path> walk = Files.walk(classes)) {
        walk.filter(Files::isRegularFile).forEach(files::add);
      }
      for (Path file : files) {
        add(out, classes.relativize(file).toString().replace('\\', '/'), Files.readAllBytes(file));
      }
      add(out, "META-INF/services/baton.protocol.op.OpProvider",
          "testops.SuffixOp\n".getBytes(StandardCharsets.UTF_8));
    }
    return jar;
  }

  private static void add(JarOutputStream jar, String name, byte[] bytes) throws Exception {
    jar.putNextEntry(new JarEntry(name));
    jar.write(bytes);
    jar.closeEntry();
  }
}
