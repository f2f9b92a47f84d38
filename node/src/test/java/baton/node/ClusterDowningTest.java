package baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Leave;
import org.apache.pekko.cluster.typed.Subscribe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two coordinators and a node in one JVM, with the cluster settings every Baton member gets: the split brain
 * resolver keeps the standby coordinator and the node when the oldest coordinator crashes, and the node stays as
 * long as one coordinator is a member.
 */
@ExtendWith(LogCapturingExtension.class)
final class ClusterDowningTest {

  private static final Duration WAIT = Duration.ofSeconds(40);

  private final List<ActorTestKit> kits = new ArrayList<>();

  @AfterEach
  void stop() {
    kits.forEach(ActorTestKit::shutdownTestKit);
  }

  @Test
  void oldestCoordinatorCrashes_standbyAndNodeStayMembers_nodeLeavesOnlyWithTheLastCoordinator() throws Exception {
    int first = freePort();
    int second = freePort();
    List<String> seeds = List.of("127.0.0.1:" + first, "127.0.0.1:" + second);
    // A crash: the system ends without leaving the cluster, as a killed process would.
    ActorTestKit oldest = member(ClusterSetup.COORDINATOR_ROLE, first, seeds,
        "pekko.coordinated-shutdown.run-by-actor-system-terminate = off");
    awaitUp(oldest, 1);
    ActorTestKit standby = member(ClusterSetup.COORDINATOR_ROLE, second, seeds, "");
    awaitUp(oldest, 2);
    ActorTestKit node = member("node", freePort(), seeds, "");
    awaitUp(standby, 3);
    TestProbe<String> console = node.createTestProbe();
    node.spawn(CoordinatorWatch.create(NodeSettings.from(node.system().settings().config()), console.ref()::tell));
    TestProbe<ClusterEvent.MemberRemoved> removed = node.createTestProbe();
    Cluster.get(node.system()).subscriptions().tell(Subscribe.create(removed.ref(),
        ClusterEvent.MemberRemoved.class));

    oldest.shutdownTestKit();
    kits.remove(oldest);

    ClusterEvent.MemberRemoved gone = removed.expectMessageClass(ClusterEvent.MemberRemoved.class, WAIT);
    assertEquals(first, gone.member().address().getPort().get());
    console.expectNoMessage(Duration.ofSeconds(2));
    assertEquals(MemberStatus.up(), Cluster.get(node.system()).selfMember().status());
    assertEquals(MemberStatus.up(), Cluster.get(standby.system()).selfMember().status());

    // The last coordinator leaves: now the node leaves too, to join a coordinator again when one is back.
    Cluster.get(standby.system()).manager().tell(Leave.create(Cluster.get(standby.system()).selfMember().address()));
    String line = console.expectMessageClass(String.class, WAIT);
    assertEquals(true, line.startsWith("the coordinator pekko://baton@127.0.0.1:" + second + " left the cluster"),
        line);
  }

  private ActorTestKit member(String role, int port, List<String> seeds, String extra) {
    Config config = ConfigFactory.parseString(extra).withFallback(
        ClusterSetup.member(ConfigFactory.load(), role, "127.0.0.1", port, seeds));
    ActorTestKit kit = ActorTestKit.create(ClusterSetup.SYSTEM_NAME, config);
    kits.add(kit);
    return kit;
  }

  private static void awaitUp(ActorTestKit kit, int members) {
    kit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(100), () -> {
      long up = 0;
      for (var member : Cluster.get(kit.system()).state().getMembers()) {
        if (member.status().equals(MemberStatus.up())) {
          up++;
        }
      }
      assertEquals(members, up);
      return null;
    });
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
