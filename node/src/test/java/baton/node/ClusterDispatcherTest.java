package baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Where a cluster member's own actors and its heartbeats run: not on the threads a job keeps busy. */
@ExtendWith(LogCapturingExtension.class)
final class ClusterDispatcherTest {

  private static final String DISPATCHER = "baton.cluster-dispatcher";

  @Test
  void clusterMember_clusterActorsAndControlStream_runOnTheClusterDispatcher() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    Config config = ClusterSetup.member(ConfigFactory.load(), ClusterSetup.COORDINATOR_ROLE, "127.0.0.1", port,
        List.of("127.0.0.1:" + port));
    ActorTestKit testKit = ActorTestKit.create(ClusterSetup.SYSTEM_NAME, config);
    try {
      Config running = testKit.system().settings().config();
      assertEquals(DISPATCHER, running.getString("pekko.cluster.use-dispatcher"));
      assertEquals(DISPATCHER, running.getString("pekko.remote.artery.advanced.use-control-stream-dispatcher"));
      Cluster cluster = Cluster.get(testKit.system());
      testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
        assertEquals(MemberStatus.up(), cluster.selfMember().status());
        // Only the cluster's actors and Artery's control stream use this dispatcher, so its threads run them.
        assertFalse(Thread.getAllStackTraces().keySet().stream()
            .filter(thread -> thread.getName().startsWith(ClusterSetup.SYSTEM_NAME + "-" + DISPATCHER + "-"))
            .toList().isEmpty(), "no thread of " + DISPATCHER);
        return null;
      });
    } finally {
      testKit.shutdownTestKit();
    }
  }
}
