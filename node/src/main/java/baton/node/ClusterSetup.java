package baton.node;

import baton.protocol.wire.Wire;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.List;

/**
 * The config that makes a process a cluster member: Artery on the given host and port, the seed nodes and the
 * member's roles, over the cluster defaults under {@code baton.cluster-member} in the node module's
 * {@code reference.conf}.
 */
public final class ClusterSetup {

  /** The actor system's name; every member of one Baton cluster uses it. */
  public static final String SYSTEM_NAME = "baton";

  /** The coordinator's cluster role; nodes have the role {@code node}. */
  public static final String COORDINATOR_ROLE = "coordinator";

  private ClusterSetup() {
  }

  /**
   * @param seeds seed nodes as {@code host:port}
   */
  public static Config member(Config base, String role, String host, int port, List<String> seeds) {
    List<String> seedAddresses = seeds.stream().map(seed -> "pekko://" + SYSTEM_NAME + "@" + seed).toList();
    return ConfigFactory.empty()
        .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host))
        .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(port))
        .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seedAddresses))
        .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(List.of(role)))
        .withValue("pekko.cluster.app-version", ConfigValueFactory.fromAnyRef(Wire.VERSION))
        .withFallback(base.getConfig("baton.cluster-member").atPath("pekko").withFallback(base))
        .resolve();
  }
}
