package baton.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import baton.protocol.wire.WorkBatch;
import baton.protocol.wire.WorkResult.ItemResult;

/** What a message that crossed the wire must still hold, shared by the tests of its serializers. */
final class WireAssertions {

  private WireAssertions() {
  }

  /** Every field of the batch, its items' keys and payloads in order. */
  static void assertBatch(WorkBatch expected, WorkBatch actual) {
    assertEquals(expected.batch(), actual.batch());
    assertEquals(expected.jobId(), actual.jobId());
    assertEquals(expected.stage(), actual.stage());
    assertEquals(expected.op(), actual.op());
    assertEquals(expected.replyTo(), actual.replyTo());
    assertEquals(expected.started(), actual.started());
    assertEquals(expected.itemTimeout(), actual.itemTimeout());
    assertEquals(expected.items().size(), actual.items().size());
    for (int i = 0; i < expected.items().size(); i++) {
      assertEquals(expected.items().get(i).key(), actual.items().get(i).key());
      assertArrayEquals(expected.items().get(i).payload(), actual.items().get(i).payload());
    }
  }

  /** An item's result as it arrives: without its key (since wire version 5), the rest as sent. */
  static void assertItemResult(ItemResult expected, ItemResult actual) {
    assertNull(actual.key(), "results travel without keys (WireSerializerTest.workResult_onTheWire_carriesNoKeys)");
    assertEquals(expected.status(), actual.status());
    assertArrayEquals(expected.payload(), actual.payload());
    assertEquals(expected.error(), actual.error());
  }
}
