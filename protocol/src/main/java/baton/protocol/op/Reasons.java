package baton.protocol.op;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one way a failure becomes text: the reasons item results, job statuses, logs and the command line show. Ops
 * fail by throwing; what they threw reads the same on the node that ran them and on the coordinator.
 */
public final class Reasons {

  private Reasons() {
  }

  /**
   * The failure itself, past the wrappers of asynchronous calls ({@code CompletionException},
   * {@code ExecutionException}).
   */
  public static Throwable unwrap(Throwable e) {
    Throwable cause = e;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** The deepest cause: what a user can act on when a library wraps it in its own failure. */
  public static Throwable root(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** The failure's message, or the simple name of its kind when it has none. */
  public static String text(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  /** {@code Kind: message}, for failures of user code, where the kind says much ({@code NullPointerException}). */
  public static String withKind(Throwable e) {
    String message = e.getMessage();
    String kind = e.getClass().getSimpleName();
    return message == null || message.isBlank() ? kind : kind + ": " + message;
  }
}
