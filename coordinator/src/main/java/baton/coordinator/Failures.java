package baton.coordinator;

import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Turns exceptions into the one-line reasons the job log and status show. */
final class Failures {

  private Failures() {
  }

  static Throwable unwrap(Throwable e) {
    Throwable cause = e;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  static String reason(Throwable e, Duration timeout) {
    Throwable cause = unwrap(e);
    if (cause instanceof TimeoutException) {
      return "timed out after " + timeout.toMillis() + " ms (item-timeout)";
    }
    String message = cause.getMessage();
    String kind = cause.getClass().getSimpleName();
    return message == null || message.isBlank() ? kind : message;
  }
}
