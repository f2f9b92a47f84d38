package baton.protocol.wire;

/** Facts about the messages in this package that both sides of the wire must agree on. */
public final class Wire {

  /**
   * The version of the messages' shapes on the wire. Each cluster member announces it as its Pekko app-version;
   * a coordinator and a node of different versions refuse to exchange work, each saying why, since neither could
   * read the other's batches. Raise it with every change to a message's shape.
   *
   * <p>1: items and results as CBOR maps; 2: as CBOR arrays ({@code [key, payload]}, {@code [key, status,
   * payload, error]}).
   */
  public static final String VERSION = "2";

  private Wire() {
  }
}
