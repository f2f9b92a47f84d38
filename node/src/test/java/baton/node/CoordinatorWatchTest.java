package baton.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A {@link CoordinatorWatch} in a cluster member whose seed is a loopback port where nothing listens. */
@ExtendWith(LogCapturingExtension.class)
final class CoordinatorWatchTest {

  @Test
  void nodeWithoutItsSeed_saysItWaitsForTheCoordinator_againAndAgain() throws Exception {
    int seedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      seedPort = socket.getLocalPort();
    }
    Config config = ClusterSetup.member(ConfigFactory.load(), "node", "127.0.0.1", 0,
        List.of("127.0.0.1:" + seedPort));
    NodeSettings settings = NodeSettings.from(config);
    settings = new NodeSettings(settings.workers(), settings.rejoinDelay(), Duration.ofMillis(200),
        Duration.ofMillis(400), settings.batchesPerWorker(), settings.pullRefresh());
    ActorTestKit testKit = ActorTestKit.create(ClusterSetup.SYSTEM_NAME, config);
    try {
      TestProbe<String> console = testKit.createTestProbe();
      testKit.spawn(CoordinatorWatch.create(settings, console.ref()::tell));
      String hint = "waiting for the coordinator at 127.0.0.1:" + seedPort + " (seed); start it with "
          + "`baton coordinator`, or point --seed at it (a coordinator started with --tls takes only nodes "
          + "with --tls)";
      console.expectMessage(Duration.ofSeconds(3), hint);
      console.expectMessage(Duration.ofSeconds(3), hint);
    } finally {
      testKit.shutdownTestKit();
    }
  }
}
