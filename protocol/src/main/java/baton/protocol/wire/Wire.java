package baton.protocol.wire;

import java.util.Optional;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

/** Facts about the messages in this package that both sides of the wire must agree on. */
public final class Wire {

  /**
   * The version of the messages' shapes on the wire. Each cluster member announces it as its Pekko app-version;
   * a coordinator and a node of different versions refuse to exchange work, each saying why, since neither could
   * read the other's batches. Raise it with every change to a message's shape.
   *
   * <p>1: items and results as CBOR maps; 2: as CBOR arrays ({@code [key, payload]}, {@code [key, status,
   * payload, error]}); 3: a result says how long its worker took ({@code runNanos}); 4: batches, results, pulls
   * and starts in {@link WireSerializer}'s own layout, which begins with this version (so it stays a number); 5: a
   * result's items without their keys.
   */
  public static final String VERSION = "5";

  /**
   * Why this process cannot exchange work with the cluster member at {@code address}: the member speaks another
   * version of the wire ({@link #VERSION}, announced as its app-version). Empty for a local address, a member not
   * known (yet) or one of the same version.
   */
  public static Optional<String> mismatch(ActorSystem<?> system, Address address) {
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

  private Wire() {
  }
}
