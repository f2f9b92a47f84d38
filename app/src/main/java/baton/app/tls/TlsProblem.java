package baton.app.tls;

/** A CA or member folder that cannot be used, or input to {@code baton certs} that cannot; the message says why. */
public final class TlsProblem extends Exception {

  TlsProblem(String message) {
    super(message);
  }
}
