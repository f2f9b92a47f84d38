package baton.node.ops;

import baton.protocol.op.CpuOp;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;

/**
 * {@code sha256 { rounds }}: the payload becomes the lowercase hex SHA-256 of the payload; each further round hashes
 * the previous round's hex text.
 */
public final class Sha256Op implements OpProvider {

  @Override
  public String name() {
    return "sha256";
  }

  @Override
  public OpKind kind() {
    return OpKind.CPU;
  }

  @Override
  public Set<String> parameters() {
    return Set.of("rounds");
  }

  @Override
  public Op create(OpParams params) {
    int rounds = params.getInt("rounds", 1, 10_000_000);
    return new Hasher(rounds);
  }

  /**
   * Not shared between threads: a worker owns its instance, its digest and its buffers. The rounds reuse one digest
   * buffer and one hex buffer, so that thousands of rounds allocate nothing but the result (with a String per round,
   * sha256 with 2000 rounds allocated about 300 bytes a round, some GB a second on two cores).
   */
  private static final class Hasher implements CpuOp {
    private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final int DIGEST_BYTES = 32;

    private final int rounds;
    private final MessageDigest digest;
    private final byte[] hash = new byte[DIGEST_BYTES];
    private final byte[] hex = new byte[2 * DIGEST_BYTES];

    Hasher(int rounds) {
      this.rounds = rounds;
      try {
        this.digest = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("the JDK has no SHA-256", e);
      }
    }

    @Override
    public byte[] apply(String key, byte[] payload) throws DigestException {
      byte[] text = payload;
      for (int round = 0; round < rounds; round++) {
        digest.update(text);
        digest.digest(hash, 0, DIGEST_BYTES);
        for (int i = 0; i < DIGEST_BYTES; i++) {
          hex[2 * i] = HEX_DIGITS[(hash[i] >> 4) & 0xf];
          hex[2 * i + 1] = HEX_DIGITS[hash[i] & 0xf];
        }
        text = hex;
      }
      return text == payload ? payload : hex.clone();
    }
  }
}
