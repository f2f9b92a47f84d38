package baton.protocol.wire;

/**
 * Marks a message that may cross the cluster. {@code reference.conf} binds it to Pekko's {@code jackson-cbor}
 * serializer; Java serialization stays off.
 */
public interface CborSerializable {
}
