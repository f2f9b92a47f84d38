package baton.coordinator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import baton.protocol.op.OpKind;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The job status record through the serializer Pekko picks for it (the coordinator's journal stores it today). */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
final class JobStatusSerializationTest {

  @JUnit5TestKit
  ActorTestKit testKit = ActorTestKit.create();

  @Test
  void jobStatus_roundTrip_isEqual() {
    JobStatus original = jobStatus();

    assertEquals(original, roundTrip(original));
  }

  @Test
  void jobStatus_withNulls_roundTripsNulls() {
    JobStatus original = new JobStatus("j", "n", JobState.ACCEPTED, 0, new JobStatus.Items(-1, 0, 0, 0, 0), List.of(),
        null, null, "2026-01-01T00:00:00Z", null, null, List.of(), null);

    assertEquals(original, roundTrip(original));
  }

  @Test
  void serializer_forStatusAndItsParts_isJacksonCbor() {
    JobStatus status = jobStatus();
    for (Object part : List.of(status, status.items(), status.stages().get(0), status.nodes().get(0))) {
      assertInstanceOf(JacksonCborSerializer.class, serialization().findSerializerFor(part), part.getClass().getName());
    }
  }

  private Serialization serialization() {
    return SerializationExtension.get(Adapter.toClassic(testKit.system()));
  }

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

  private static JobStatus jobStatus() {
    return new JobStatus("job-7", "checksums", JobState.RUNNING, 1234,
        new JobStatus.Items(10, 6, 1, 2, 0),
        List.of(new JobStatus.StageStatus("read-file", OpKind.IO, 9, 0),
            new JobStatus.StageStatus("sha256", OpKind.CPU, 8, 1)),
        null, "/tmp/out.tsv", "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", null,
        List.of(new JobStatus.NodeItems("pekko://baton@127.0.0.1:2552", 8)), "waiting for workers: 0 nodes");
  }
}
