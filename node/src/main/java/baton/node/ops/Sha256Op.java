package baton.node.ops;

import baton.protocol.op.CpuOp;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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

  /** Not shared between threads: a worker owns its instance, and so its digest. */
  private static final class Hasher implements CpuOp {
    private final int rounds;
    private final MessageDigest digest;

    Hasher(int rounds) {
      this.rounds = rounds;
      try {
        this.digest = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("the JDK has no SHA-256", e);
      }
    }

    @Override
    public byte[] apply(String key, byte[] payload) {
      byte[] text = payload;
      for (int round = 0; round < rounds; round++) {
        text = HexFormat.of().formatHex(digest.digest(text)).getBytes(StandardCharsets.US_ASCII);
      }
      return text;
    }
  }
}
