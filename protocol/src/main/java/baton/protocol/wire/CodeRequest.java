package baton.protocol.wire;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * A node asks the coordinator for a part of a job's code bundle: the bytes from {@code offset}, at most one chunk
 * (a bundle may be larger than a message of the cluster may be). The answer is one {@link CodeChunk}.
 *
 * @param hash the bundle's SHA-256, lowercase hex, as a batch's {@link baton.protocol.spec.OpRef#code()} names it
 */
public record CodeRequest(String hash, long offset, ActorRef<CodeChunk> replyTo) implements CborSerializable {

  /** The coordinator's code server, found through the Receptionist. */
  public static final ServiceKey<CodeRequest> SERVER = ServiceKey.create(CodeRequest.class, "baton-code");

  /** A bundle's {@code hash}: the SHA-256 of its bytes in lowercase hex, as a coordinator names it, a node checks. */
  public static String hashOf(byte[] bundle) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bundle));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
  }
}
