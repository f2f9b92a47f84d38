package baton.protocol.wire;

import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/** How nodes and the coordinator find each other through Pekko's Receptionist. */
public final class ServiceKeys {

  /** The coordinator's work dispatcher, which nodes pull from. */
  public static final ServiceKey<Pull> DISPATCHER = ServiceKey.create(Pull.class, "baton-dispatcher");

  private ServiceKeys() {
  }
}
