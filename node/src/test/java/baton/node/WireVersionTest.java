package baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.wire.Wire;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Members of one cluster that speak different versions of the wire, as {@link ClusterSetup} tells them apart. */
@ExtendWith(LogCapturingExtension.class)
final class WireVersionTest {

  @Test
  void member_ofAnotherWireVersion_isAMismatch_andOneOfTheSameIsNot() {
    Config current = ClusterSetup.member(ConfigFactory.load(), "coordinator", "127.0.0.1", 0, List.of());
    Config older = ClusterSetup.member(ConfigFactory.load(), "node", "127.0.0.1", 0, List.of())
        .withValue("pekko.cluster.app-version", ConfigValueFactory.fromAnyRef("0.0.0"));
    Config same = ClusterSetup.member(ConfigFactory.load(), "node", "127.0.0.1", 0, List.of());
    ActorTestKit coordinator = ActorTestKit.create(ClusterSetup.SYSTEM_NAME, current);
    ActorTestKit oldNode = ActorTestKit.create(ClusterSetup.SYSTEM_NAME, older);
    ActorTestKit newNode = ActorTestKit.create(ClusterSetup.SYSTEM_NAME, same);
    try {
      Address seed = Cluster.get(coordinator.system()).selfMember().address();
      for (ActorTestKit member : List.of(coordinator, oldNode, newNode)) {
        Cluster.get(member.system()).manager().tell(Join.create(seed));
      }
      Address oldAddress = Cluster.get(oldNode.system()).selfMember().address();
      Address newAddress = Cluster.get(newNode.system()).selfMember().address();
      awaitMembers(coordinator, 3);
      awaitMembers(oldNode, 3);

      Optional<String> refused = Wire.mismatch(coordinator.system(), oldAddress);
      Optional<String> refusedBack = Wire.mismatch(oldNode.system(), seed);

      assertTrue(refused.isPresent(), "the coordinator must refuse a node of another wire version");
      assertTrue(refused.get().contains("speaks Baton wire version 0.0.0, this process " + Wire.VERSION),
          refused.get());
      assertTrue(refusedBack.isPresent(), "a node must refuse a coordinator of another wire version");
      assertEquals(Optional.empty(), Wire.mismatch(coordinator.system(), newAddress));
      assertEquals(Optional.empty(), Wire.mismatch(coordinator.system(),
          new Address("pekko", ClusterSetup.SYSTEM_NAME)));
    } finally {
      newNode.shutdownTestKit();
      oldNode.shutdownTestKit();
      coordinator.shutdownTestKit();
    }
  }

  /** Waits, with a deadline, until the member knows the given number of members. */
  private static void awaitMembers(ActorTestKit testKit, int members) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(20), () -> {
      int known = 0;
      for (Object member : Cluster.get(testKit.system()).state().getMembers()) {
        known++;
      }
      assertEquals(members, known, "members joined");
      return null;
    });
  }
}
