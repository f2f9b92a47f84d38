package baton.coordinator.ops;

import baton.protocol.op.Reasons;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import javax.net.ssl.SSLException;

/** Short, readable reasons for failed file and HTTP calls, for the job log. */
final class IoFailures {

  private IoFailures() {
  }

  static String describe(Path file, IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file: " + file;
    }
    if (e instanceof AccessDeniedException) {
      return "access denied: " + file;
    }
    return e.getClass().getSimpleName() + " on " + file + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  /**
   * The failure of a request to {@code url} as one exception whose message names the address and the cause
   * ("connection refused to 127.0.0.1:1"); the JDK's own often says only "ConnectException".
   */
  static RuntimeException describe(URI url, Duration timeout, Throwable error) {
    Throwable e = Reasons.unwrap(error);
    String address = url.getHost() + ":" + (url.getPort() >= 0 ? url.getPort()
        : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80);
    String reason;
    if (e instanceof HttpConnectTimeoutException) {
      reason = "no connection to " + address + " within the connect timeout (baton.io.http.connect-timeout)";
    } else if (e instanceof HttpTimeoutException) {
      reason = "no answer from " + address + " within " + timeout.toMillis() + " ms (timeout)";
    } else if (has(e, UnresolvedAddressException.class) || has(e, UnknownHostException.class)) {
      reason = "unknown host " + url.getHost();
    } else if (has(e, SSLException.class)) {
      reason = "TLS with " + address + " failed: " + message(e);
    } else if (e instanceof ConnectException) {
      String message = message(e);
      reason = message.isEmpty() || message.toLowerCase(Locale.ROOT).contains("refused")
          ? "connection refused to " + address
          : "cannot connect to " + address + ": " + message;
    } else if (e instanceof IOException) {
      reason = e.getClass().getSimpleName() + " from " + address + (message(e).isEmpty() ? "" : ": " + message(e));
    } else {
      return e instanceof RuntimeException runtime ? runtime : new CompletionException(e);
    }
    return new UncheckedIOException(reason, e instanceof IOException io ? io : new IOException(e));
  }

  private static boolean has(Throwable e, Class<? extends Throwable> type) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (type.isInstance(cause)) {
        return true;
      }
    }
    return false;
  }

  /** The first message in the chain of causes, or empty. */
  private static String message(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause.getMessage() != null && !cause.getMessage().isBlank()) {
        return cause.getMessage();
      }
    }
    return "";
  }
}
