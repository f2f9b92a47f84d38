package baton.protocol.spec;

/**
 * A job spec that cannot run. The message is meant for the user as it is: it names the file and line where it can,
 * and what is wrong.
 */
public final class SpecException extends RuntimeException {

  public SpecException(String message) {
    super(message);
  }
}
