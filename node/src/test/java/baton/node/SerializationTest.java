package baton.node;

import static baton.node.WireAssertions.assertBatch;
import static baton.node.WireAssertions.assertItemResult;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.spec.OpRef;
import baton.protocol.wire.BatchStarted;
import baton.protocol.wire.CborSerializable;
import baton.protocol.wire.CodeChunk;
import baton.protocol.wire.CodeRequest;
import baton.protocol.wire.Item;
import baton.protocol.wire.JobEnded;
import baton.protocol.wire.Pull;
import baton.protocol.wire.WireSerializer;
import baton.protocol.wire.WorkBatch;
import baton.protocol.wire.WorkResult.ItemResult;
import baton.protocol.wire.WorkResult;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JavaSerializer;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Messages that cross the cluster, through the serializer a cluster member picks for them: the actor system runs
 * with the config {@link ClusterSetup#member} gives {@code baton node}.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
final class SerializationTest {

  private static final Config MEMBER =
      ClusterSetup.member(ConfigFactory.load(), "node", "127.0.0.1", 0, List.of());

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withName(ClusterSetup.SYSTEM_NAME).withCustomConfig(MEMBER)
      .build();

  private Serialization serialization() {
    return SerializationExtension.get(Adapter.toClassic(testKit.system()));
  }

  @Test
  void config_clusterMember_isClusterProviderWithoutJavaSerialization() {
    Config config = testKit.system().settings().config();

    assertEquals("cluster", config.getString("pekko.actor.provider"));
    assertFalse(config.getBoolean("pekko.actor.allow-java-serialization"));
  }

  @Test
  void serializer_forEveryMessage_isWireOrJacksonCbor() {
    Set<Class<?>> ownLayout = Set.of(WorkBatch.class, WorkResult.class, Pull.class, BatchStarted.class);
    for (Object message : samples()) {
      Serializer serializer = serialization().findSerializerFor(message);

      Class<? extends Serializer> expected =
          ownLayout.contains(message.getClass()) ? WireSerializer.class : JacksonCborSerializer.class;
      assertInstanceOf(expected, serializer, message.getClass().getName());
      assertFalse(serializer instanceof JavaSerializer);
    }
  }

  @Test
  void samples_coverEveryCborSerializableInProtocol() throws IOException {
    Set<String> sampled = samples().stream().map(m -> m.getClass().getName()).collect(Collectors.toSet());

    assertEquals(new TreeSet<>(protocolMessages()), new TreeSet<>(sampled),
        "every CborSerializable in baton.protocol needs a sample here");
  }

  @Test
  void workBatch_roundTrip_keepsItemsAndReplyTo() {
    ActorRef<WorkResult> replyTo = testKit.<WorkResult>createTestProbe().getRef();
    WorkBatch original = new WorkBatch(12, "job-1", 2, new OpRef("sha256", "{\"rounds\":3}"),
        List.of(new Item("a", new byte[] {0, 1, -1, 127}), Item.ofText("b\u00e9"), new Item("empty", new byte[0])),
        replyTo, testKit.<BatchStarted>createTestProbe().getRef(), Duration.ofMillis(1500));

    WorkBatch copy = roundTrip(original);

    assertBatch(original, copy);
  }

  @Test
  void workResult_roundTrip_keepsEveryStatus() {
    WorkResult original = new WorkResult(5, List.of(
        ItemResult.ok("a", "digest".getBytes(StandardCharsets.UTF_8)),
        ItemResult.dropped("b"),
        ItemResult.failed("c", "ZipException: Not in GZIP format")), "pekko://baton@127.0.0.1:2552");

    WorkResult copy = roundTrip(original);

    assertEquals(original.batch(), copy.batch());
    assertEquals(original.node(), copy.node());
    assertEquals(original.results().size(), copy.results().size());
    for (int i = 0; i < original.results().size(); i++) {
      assertItemResult(original.results().get(i), copy.results().get(i));
    }
  }

  @Test
  void itemsAndResults_onTheWire_areArraysWithoutPropertyNames() {
    WorkBatch batch = new WorkBatch(1, "job", 0, new OpRef("sha256", "{}"), List.of(Item.ofText("k1")),
        testKit.<WorkResult>createTestProbe().getRef(), testKit.<BatchStarted>createTestProbe().getRef(),
        Duration.ofSeconds(60));
    WorkResult result = new WorkResult(1, List.of(ItemResult.ok("k1", new byte[] {1}),
        ItemResult.failed("k2", "boom")), "node");

    String batchBytes = new String(serialization().serialize(batch).get(), StandardCharsets.ISO_8859_1);
    String resultBytes = new String(serialization().serialize(result).get(), StandardCharsets.ISO_8859_1);

    // Tiny items cost mostly their field names: each item travels as [key, payload], each result as
    // [key, status, payload, error].
    assertFalse(batchBytes.contains("payload"), "an item's field names travel with it");
    assertFalse(resultBytes.contains("payload") || resultBytes.contains("status"),
        "an item result's field names travel with it");
  }

  @Test
  void workResult_roundTrip_keepsEmptyAndLargePayloadsAndReasons() {
    byte[] large = new byte[8 * 1024 * 1024];
    for (int i = 0; i < large.length; i++) {
      large[i] = (byte) (i * 31);
    }
    WorkResult original = new WorkResult(7, List.of(
        ItemResult.ok("empty", new byte[0]),
        ItemResult.ok("large", large),
        ItemResult.failed("bad", "IllegalStateException: no \u00e9 here\nsecond line"),
        ItemResult.dropped("gone")), "pekko://baton@127.0.0.1:2552");

    WorkResult copy = roundTrip(original);

    assertEquals(original.results().size(), copy.results().size());
    for (int i = 0; i < original.results().size(); i++) {
      assertItemResult(original.results().get(i), copy.results().get(i));
    }
  }

  @Test
  void workBatch_roundTrip_keepsALargePayload() {
    byte[] large = new byte[8 * 1024 * 1024];
    large[large.length - 1] = 42;
    WorkBatch original = new WorkBatch(3, "job-2", 0, new OpRef("gzip", "{}"),
        List.of(new Item("large", large), new Item("empty", new byte[0])),
        testKit.<WorkResult>createTestProbe().getRef(), testKit.<BatchStarted>createTestProbe().getRef(),
        Duration.ofSeconds(1));

    WorkBatch copy = roundTrip(original);

    assertEquals(2, copy.items().size());
    assertArrayEquals(large, copy.items().get(0).payload());
    assertArrayEquals(new byte[0], copy.items().get(1).payload());
  }

  @Test
  void pull_roundTrip_isEqual() {
    Pull original = new Pull(testKit.<WorkBatch>createTestProbe().getRef(), 8, 4, false, 99);

    assertEquals(original, roundTrip(original));
  }

  @Test
  void javaSerializable_notBoundToCbor_isRefused() {
    record Plain(String text) implements Serializable {
    }

    assertTrue(serialization().serialize(new Plain("x")).isFailure(),
        "with Java serialization off, a message outside CborSerializable must not travel");
  }

  // --- helpers ---

  @SuppressWarnings("unchecked")
  private <T> T roundTrip(T message) {
    Serializer serializer = serialization().findSerializerFor(message);
    byte[] bytes = serialization().serialize(message).get();
    Object copy = serialization()
        .deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message)).get();
    assertNotSame(message, copy);
    assertEquals(message.getClass(), copy.getClass());
    return (T) copy;
  }

  /** One sample of every message type, nested ones included. */
  private List<Object> samples() {
    WorkResult result = new WorkResult(1, List.of(ItemResult.ok("k", new byte[] {1})), "node");
    return List.of(
        new WorkBatch(1, "job", 1, new OpRef("gzip", "{}"), List.of(Item.ofText("x")),
            testKit.<WorkResult>createTestProbe().getRef(), testKit.<BatchStarted>createTestProbe().getRef(),
            Duration.ofSeconds(60)),
        new BatchStarted(1),
        result,
        result.results().get(0),
        Pull.fullLoad(testKit.<WorkBatch>createTestProbe().getRef(), 1, 1),
        Item.ofText("x"),
        new OpRef("gzip", "{}"),
        new CodeRequest("ab", 0, testKit.<CodeChunk>createTestProbe().getRef()),
        new CodeChunk("ab", 0, 3, new byte[] {1, 2, 3}, null),
        new JobEnded("job"));
  }

  @Test
  void codeMessages_roundTrip_keepTheHashAndTheBytes() {
    OpRef shipped = new OpRef("tag", "{}", "0f".repeat(32));
    CodeChunk chunk = new CodeChunk("0f".repeat(32), 5, 9, new byte[] {0, -1, 7, 127}, null);

    CodeChunk copy = roundTrip(chunk);

    assertEquals(shipped, roundTrip(shipped));
    assertEquals(new OpRef("tag", "{}"), roundTrip(new OpRef("tag", "{}")));
    assertArrayEquals(chunk.bytes(), copy.bytes());
    assertEquals(chunk.hash() + chunk.offset() + chunk.total(), copy.hash() + copy.offset() + copy.total());
    assertEquals(new JobEnded("job-1"), roundTrip(new JobEnded("job-1")));
  }

  /** The classes in the protocol module that implement {@link CborSerializable}, read from its classes. */
  private static Set<String> protocolMessages() throws IOException {
    URI location;
    try {
      location = CborSerializable.class.getProtectionDomain().getCodeSource().getLocation().toURI();
    } catch (java.net.URISyntaxException e) {
      throw new IOException(e);
    }
    Path root = Path.of(location);
    if (Files.isDirectory(root)) {
      return messagesUnder(root);
    }
    try (FileSystem jar = FileSystems.newFileSystem(root, Map.of())) {
      return messagesUnder(jar.getPath("/"));
    }
  }

  private static Set<String> messagesUnder(Path root) throws IOException {
    Path packageDir = root.resolve("baton/protocol");
    try (Stream<Path> files = Files.walk(packageDir)) {
      return files.map(file -> root.relativize(file).toString())
          .filter(name -> name.endsWith(".class") && !name.endsWith("package-info.class"))
          .map(name -> name.substring(0, name.length() - ".class".length()).replace('/', '.'))
          .filter(SerializationTest::isMessage)
          .collect(Collectors.toSet());
    }
  }

  private static boolean isMessage(String className) {
    try {
      Class<?> type = Class.forName(className, false, SerializationTest.class.getClassLoader());
      return CborSerializable.class.isAssignableFrom(type) && !type.isInterface();
    } catch (ClassNotFoundException e) {
      throw new AssertionError(e);
    }
  }
}
