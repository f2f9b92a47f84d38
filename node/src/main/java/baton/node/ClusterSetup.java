package baton.node;

import baton.protocol.wire.Wire;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

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

  /**
   * Why this process cannot exchange work with the cluster member at {@code address}: the member speaks another
   * version of the wire ({@link Wire#VERSION}, announced as its app-version). Empty for a local address, a member not
   * known (yet) or one of the same version.
   */
  public static Optional<String> wireMismatch(ActorSystem<?> system, Address address) {
    if (address.hasLocalScope()) {
      return Optional.empty();
    }
    Cluster cluster = Cluster.get(system);
    String own = cluster.selfMember().appVersion().version();
    for (Member member : cluster.state().getMembers()) {
      String theirs = member.appVersion().version();
      if (member.address().equals(address) && !theirs.equals(own)) {
        return Optional.of(address + " speaks Baton wire version " + theirs + ", this process " + own
            + " (a Baton from before wire versions shows 0.0.0); they cannot exchange work: run the same Baton "
            + "version on the coordinator and every node");
      }
    }
    return Optional.empty();
  }
}
