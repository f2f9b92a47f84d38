package baton.node;

import static baton.node.WireAssertions.assertBatch;
import static baton.node.WireAssertions.assertItemResult;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.spec.OpRef;
import baton.protocol.wire.BatchStarted;
import baton.protocol.wire.Item;
import baton.protocol.wire.Pull;
import baton.protocol.wire.Wire;
import baton.protocol.wire.WireSerializer;
import baton.protocol.wire.WorkBatch;
import baton.protocol.wire.WorkResult.ItemResult;
import baton.protocol.wire.WorkResult;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.NotSerializableException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The messages of every batch through {@link WireSerializer}, as a cluster member (the config
 * {@link ClusterSetup#member} gives {@code baton node}) picks it: every field survives, through Pekko's byte arrays
 * and through Artery's direct buffers, and a message of another wire version or a cut one is refused.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
final class WireSerializerTest {

  private static final Config MEMBER =
      ClusterSetup.member(ConfigFactory.load(), "node", "127.0.0.1", 0, List.of());

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withName(ClusterSetup.SYSTEM_NAME).withCustomConfig(MEMBER)
      .build();

  private Serialization serialization() {
    return SerializationExtension.get(Adapter.toClassic(testKit.system()));
  }

  private WireSerializer serializer() {
    return (WireSerializer) serialization().findSerializerFor(new BatchStarted(0));
  }

  @Test
  void serializer_forTheMessagesOfEveryBatch_isWireSerializer() {
    for (Object message : List.of(batch(List.of(Item.ofText("x"))), result(List.of(ItemResult.dropped("x"))),
        Pull.oneMore(testKit.<WorkBatch>createTestProbe().getRef(), 2, 7), new BatchStarted(3))) {
      assertInstanceOf(WireSerializer.class, serialization().findSerializerFor(message),
          message.getClass().getName());
    }
  }

  @Test
  void workBatch_roundTrip_keepsEveryField() {
    byte[] large = new byte[8 * 1024 * 1024];
    for (int i = 0; i < large.length; i++) {
      large[i] = (byte) (i * 31);
    }
    WorkBatch original = new WorkBatch(Long.MAX_VALUE - 1, "job-\u00e9\u4e2d", 300,
        new OpRef("sha256", "{\"rounds\":3,\"text\":\"\u00fc\uD83D\uDE00\"}", "9f86d081884c7d65"),
        List.of(new Item("a", new byte[] {0, 1, -1, 127}), Item.ofText("b\u00e9\u4e2d\uD83D\uDE00"),
            new Item("empty", new byte[0]), new Item("null payload", null), new Item("", new byte[] {5}),
            new Item("large", large)),
        testKit.<WorkResult>createTestProbe().getRef(), testKit.<BatchStarted>createTestProbe().getRef(),
        Duration.ofSeconds(90_000, 123_456_789));

    for (WorkBatch copy : List.of(roundTrip(original), throughDirectBuffer(original))) {
      assertBatch(original, copy);
    }
  }

  @Test
  void workBatch_empty_roundTripsEmpty() {
    WorkBatch original = batch(List.of());

    assertBatch(original, roundTrip(original));
    assertBatch(original, throughDirectBuffer(original));
  }

  @Test
  void workBatch_ofManyItems_roundTripsInOrder() {
    List<Item> items = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      items.add(i % 3 == 0 ? Item.ofText("k\u00e9" + i) : new Item(Integer.toString(i), new byte[i % 200]));
    }
    WorkBatch original = batch(items);

    assertBatch(original, roundTrip(original));
    assertBatch(original, throughDirectBuffer(original));
  }

  @Test
  void workBatch_intoADirectBuffer_needsNoArrayOfItsSize() {
    List<Item> items = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      items.add(Item.ofText("key-" + i));
    }
    WorkBatch batch = batch(items);
    ByteBuffer buffer = ByteBuffer.allocateDirect(10 * 1024 * 1024);
    serializer().toBinary(batch, buffer);
    int written = buffer.position();
    buffer.clear();
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    long before = threads.getCurrentThreadAllocatedBytes();
    serializer().toBinary(batch, buffer);
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;

    assertEquals(written, buffer.position());
    assertTrue(allocated < written / 4, allocated + " bytes allocated to write " + written);
  }

  @Test
  void smallMessage_intoADirectBuffer_allocatesLessThanAWritersChunk() {
    // Artery writes every start, pull and result of a batch this way: a 16 KiB array for each was most of the garbage.
    Pull pull = Pull.oneMore(testKit.<WorkBatch>createTestProbe().getRef(), 2, 7);
    ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    for (Object message : List.of(new BatchStarted(3), pull, result(List.of(ItemResult.ok("k", new byte[] {1}))))) {
      serializer().toBinary(message, buffer);
      buffer.clear();

      long before = threads.getCurrentThreadAllocatedBytes();
      serializer().toBinary(message, buffer);
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;

      assertTrue(allocated < 4 * 1024, allocated + " bytes allocated to write a " + message.getClass().getSimpleName());
      buffer.clear();
    }
  }

  @Test
  void workBatch_stringsAndPayloadsAcrossTheWritersChunks_roundTripThroughADirectBuffer() {
    List<Item> items = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      items.add(new Item("k" + i, new byte[i % 7 == 0 ? 17_000 : i % 50]));
    }
    items.add(Item.ofText("a".repeat(40_000)));
    items.add(Item.ofText("\u00e9".repeat(30_000)));
    items.add(Item.ofText("x".repeat(16_379) + "\u00e9"));
    WorkBatch original = new WorkBatch(2, "job", 0, new OpRef("sha256", "p".repeat(20_000)), items,
        testKit.<WorkResult>createTestProbe().getRef(), testKit.<BatchStarted>createTestProbe().getRef(),
        Duration.ofSeconds(60));

    assertBatch(original, throughDirectBuffer(original));
  }

  @Test
  void workResult_roundTrip_keepsEveryStatusPayloadAndReason() {
    byte[] large = new byte[8 * 1024 * 1024];
    large[large.length - 1] = 42;
    WorkResult original = new WorkResult(-5, List.of(
        ItemResult.ok("a", "digest".getBytes(StandardCharsets.UTF_8)),
        ItemResult.ok("empty", new byte[0]),
        ItemResult.ok("null payload", null),
        ItemResult.ok("large", large),
        ItemResult.dropped("b\u00e9"),
        ItemResult.failed("c", "ZipException: Not in GZIP format"),
        ItemResult.failed("\u4e2d\uD83D\uDE00", "IllegalStateException: no \u00e9 here\nsecond line"),
        ItemResult.failed("no reason", null),
        new ItemResult(null, null, null, null)), "pekko://baton@127.0.0.1:2552", 123_456_789_012L);

    for (WorkResult copy : List.of(roundTrip(original), throughDirectBuffer(original))) {
      assertEquals(original.batch(), copy.batch());
      assertEquals(original.node(), copy.node());
      assertEquals(original.runNanos(), copy.runNanos());
      assertEquals(original.results().size(), copy.results().size());
      for (int i = 0; i < original.results().size(); i++) {
        assertItemResult(original.results().get(i), copy.results().get(i));
      }
    }
  }

  @Test
  void workResult_onTheWire_carriesNoKeys() {
    // The coordinator holds each batch's keys and matches results to its items by place, so a key is not sent back.
    String key = "k".repeat(1000);
    WorkResult original = result(List.of(ItemResult.ok(key, new byte[] {1}), ItemResult.failed(key, "boom")));

    byte[] bytes = serialization().serialize(original).get();
    WorkResult copy = roundTrip(original);

    assertTrue(bytes.length < 100, bytes.length + " bytes");
    assertEquals(2, copy.results().size());
    assertNull(copy.results().get(0).key());
    assertArrayEquals(new byte[] {1}, copy.results().get(0).payload());
    assertNull(copy.results().get(1).key());
    assertEquals("boom", copy.results().get(1).error());
  }

  @Test
  void workResult_empty_roundTripsEmpty() {
    WorkResult original = new WorkResult(9, List.of(), "node");

    WorkResult copy = roundTrip(original);

    assertEquals(List.of(), copy.results());
    assertEquals("node", copy.node());
    assertEquals(0, copy.runNanos());
  }

  @Test
  void pullAndStarted_roundTrip_areEqual() {
    Pull full = Pull.fullLoad(testKit.<WorkBatch>createTestProbe().getRef(), 300, 150);
    Pull more = new Pull(testKit.<WorkBatch>createTestProbe().getRef(), 1, 4, false, Long.MAX_VALUE);

    assertEquals(full, roundTrip(full));
    assertEquals(more, roundTrip(more));
    assertEquals(more, throughDirectBuffer(more));
    assertEquals(new BatchStarted(-1), roundTrip(new BatchStarted(-1)));
  }

  @Test
  void message_ofAnotherWireVersion_isRefusedWithBothVersions() {
    WorkBatch batch = batch(List.of(Item.ofText("x")));
    byte[] bytes = serialization().serialize(batch).get();
    int version = Integer.parseInt(Wire.VERSION);
    assertEquals(version, bytes[0], "a message starts with the wire version");
    bytes[0] = (byte) (version + 1);

    NotSerializableException refused = assertThrows(NotSerializableException.class,
        () -> serializer().fromBinary(bytes, serializer().manifest(batch)));

    assertTrue(refused.getMessage().contains("wire version " + (version + 1) + ", this process speaks " + version),
        refused.getMessage());
    assertTrue(serialization().deserialize(bytes, serializer().identifier(), serializer().manifest(batch))
        .isFailure());
  }

  @Test
  void message_cutShort_isRefused() {
    WorkResult result = result(List.of(ItemResult.ok("key", new byte[100])));
    byte[] bytes = serialization().serialize(result).get();

    for (int length : new int[] {0, 1, 9, bytes.length / 2, bytes.length - 1}) {
      byte[] cut = Arrays.copyOf(bytes, length);
      assertThrows(NotSerializableException.class, () -> serializer().fromBinary(cut, serializer().manifest(result)),
          "cut to " + length + " bytes");
    }
  }

  @Test
  void pull_withoutItsAgent_isRefused() {
    Pull pull = Pull.oneMore(testKit.<WorkBatch>createTestProbe().getRef(), 2, 7);
    // The wire version, then a null string (length 0) where the agent's path belongs, then the rest.
    byte[] bytes = {(byte) Integer.parseInt(Wire.VERSION), 0, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 7};

    assertThrows(NotSerializableException.class, () -> serializer().fromBinary(bytes, serializer().manifest(pull)));
  }

  // --- helpers ---

  private WorkBatch batch(List<Item> items) {
    return new WorkBatch(1, "job", 0, new OpRef("sha256", "{}"), items,
        testKit.<WorkResult>createTestProbe().getRef(), testKit.<BatchStarted>createTestProbe().getRef(),
        Duration.ofSeconds(60));
  }

  private static WorkResult result(List<ItemResult> results) {
    return new WorkResult(1, results, "node", 17);
  }

  @SuppressWarnings("unchecked")
  private <T> T roundTrip(T message) {
    byte[] bytes = serialization().serialize(message).get();
    Object copy = serialization().deserialize(bytes, WireSerializer.IDENTIFIER,
        Serializers.manifestFor(serialization().findSerializerFor(message), message)).get();
    assertNotSame(message, copy);
    assertEquals(message.getClass(), copy.getClass());
    return (T) copy;
  }

  /** As Artery sends it: written into a direct buffer and read from it, with no array behind either. */
  @SuppressWarnings("unchecked")
  private <T> T throughDirectBuffer(T message) {
    ByteBuffer buffer = ByteBuffer.allocateDirect(10 * 1024 * 1024);
    serializer().toBinary(message, buffer);
    buffer.flip();
    try {
      return (T) serializer().fromBinary(buffer, serializer().manifest(message));
    } catch (NotSerializableException e) {
      throw new AssertionError(e);
    }
  }
}
