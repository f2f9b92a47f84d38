package baton.bench;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A workload's steps as a Java user writes them without Baton: hash in place, sleep the thread to wait. */
final class Steps {

  private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  });

  private Steps() {
  }

  /** Runs one item (its key is the number's text, as Baton's range input makes it) through every step. */
  static byte[] run(Workload workload, String key) throws InterruptedException {
    byte[] payload = key.getBytes(StandardCharsets.UTF_8);
    for (Workload.Step step : workload.steps()) {
      if (step instanceof Workload.Delay delay) {
        Thread.sleep(delay.millis());
      } else {
        payload = sha256(payload, ((Workload.Sha256) step).rounds());
      }
    }
    return payload;
  }

  static byte[] sha256(byte[] payload, int rounds) {
    MessageDigest digest = DIGEST.get();
    byte[] text = payload;
    for (int round = 0; round < rounds; round++) {
      text = HexFormat.of().formatHex(digest.digest(text)).getBytes(StandardCharsets.US_ASCII);
    }
    return text;
  }
}
