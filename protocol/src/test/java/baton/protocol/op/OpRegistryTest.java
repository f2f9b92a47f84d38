package baton.protocol.op;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.spec.OpRef;
import baton.protocol.spec.SpecException;
import baton.protocol.testops.EchoOp;
import baton.protocol.testops.RepeatOp;
import baton.protocol.testops.TwinRepeatOp;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class OpRegistryTest {

  private static final byte[] AB = "ab".getBytes(StandardCharsets.UTF_8);

  private final ClassLoader loader = getClass().getClassLoader();
  private final OpRegistry registry = OpRegistry.load(loader, ConfigFactory.load());

  @TempDir
  Path dir;

  @Test
  void load_userOpsListedInServices_areFound() {
    assertInstanceOf(RepeatOp.class, registry.find("repeat").orElseThrow());
    assertInstanceOf(EchoOp.class, registry.find("echo").orElseThrow());
    assertEquals(Optional.empty(), registry.find("nope"));
  }

  @Test
  void knownNames_isSortedAndCommaSeparated() {
    assertEquals("delay, echo, grep, http-get, mislabeled, read-file, repeat, sha256, word-count, write-file", registry.knownNames());
  }

  @Test
  void createCpu_refWithJsonParams_parsesTheUserOpsParams() throws Exception {
    CpuOp op = registry.createCpu(new OpRef("repeat", "{\"times\":3}"));

    assertArrayEquals("ababab".getBytes(StandardCharsets.UTF_8), op.apply("k", AB));
  }

  @Test
  void createCpu_refWithoutParams_usesDefaultsFromBatonOps() throws Exception {
    Config config = ConfigFactory.parseString("baton.ops.repeat.times = 4").withFallback(ConfigFactory.load());
    OpRegistry withDefault = OpRegistry.load(loader, config);

    CpuOp op = withDefault.createCpu(new OpRef("repeat", "{}"));

    assertArrayEquals("abababab".getBytes(StandardCharsets.UTF_8), op.apply("k", AB));
  }

  @Test
  void createCpu_configWithoutBatonOps_leavesParamsMissing() {
    OpRegistry bare = OpRegistry.load(loader, ConfigFactory.empty());

    SpecException e = assertThrows(SpecException.class, () -> bare.createCpu(new OpRef("repeat", "{}")));

    assertTrue(e.getMessage().contains("op repeat: missing parameter times"), e.getMessage());
  }

  @Test
  void createCpu_paramOutOfRange_isSpecException() {
    SpecException e = assertThrows(SpecException.class,
        () -> registry.createCpu(new OpRef("repeat", "{\"times\":0}")));

    assertTrue(e.getMessage().contains("times must be between 1 and " + RepeatOp.MAX_TIMES + ", got 0"),
        e.getMessage());
  }

  @Test
  void createCpu_unknownOp_listsKnownOps() {
    SpecException e = assertThrows(SpecException.class, () -> registry.createCpu(new OpRef("nope", "{}")));

    assertEquals("unknown op nope; known ops: delay, echo, grep, http-get, mislabeled, read-file, repeat, sha256, "
        + "word-count, write-file", e.getMessage());
  }

  @Test
  void createCpu_ioOp_isRefused() {
    SpecException e = assertThrows(SpecException.class, () -> registry.createCpu(new OpRef("echo", "{}")));

    assertEquals("op echo is not a cpu op", e.getMessage());
  }

  @Test
  void load_twoProvidersWithOneName_isRefusedNamingBothClasses() throws IOException {
    SpecException e = assertThrows(SpecException.class,
        () -> OpRegistry.load(loaderWithServices(TwinRepeatOp.class.getName()), ConfigFactory.load()));

    assertTrue(e.getMessage().startsWith("two ops are named repeat: "), e.getMessage());
    assertTrue(e.getMessage().contains(RepeatOp.class.getName()), e.getMessage());
    assertTrue(e.getMessage().contains(TwinRepeatOp.class.getName()), e.getMessage());
  }

  @Test
  void load_sameProviderListedTwice_isNoClash() throws IOException {
    OpRegistry twice = OpRegistry.load(loaderWithServices(RepeatOp.class.getName()), ConfigFactory.load());

    assertInstanceOf(RepeatOp.class, twice.find("repeat").orElseThrow());
  }

  @Test
  void load_providerClassMissing_isSpecException() throws IOException {
    SpecException e = assertThrows(SpecException.class,
        () -> OpRegistry.load(loaderWithServices("com.example.Missing"), ConfigFactory.load()));

    assertTrue(e.getMessage().startsWith("cannot load an op: "), e.getMessage());
    assertTrue(e.getMessage().contains("com.example.Missing"), e.getMessage());
  }

  /** A class loader that sees the test classpath plus one more services file listing the given class. */
  private URLClassLoader loaderWithServices(String providerClass) throws IOException {
    Path services = Files.createDirectories(dir.resolve("META-INF/services"));
    Files.writeString(services.resolve(OpProvider.class.getName()), providerClass + "\n");
    return new URLClassLoader(new URL[] {dir.toUri().toURL()}, loader);
  }
}
