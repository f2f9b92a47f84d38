package baton.coordinator.stream;

import baton.protocol.op.Reasons;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/** Turns exceptions into the one-line reasons the job log and status show. */
public final class Failures {

  private Failures() {
  }

  public static String reason(Throwable e, Duration timeout) {
    Throwable cause = Reasons.unwrap(e);
    if (cause instanceof TimeoutException) {
      return "timed out after " + timeout.toMillis() + " ms (item-timeout)";
    }
    return Reasons.text(cause);
  }
}
