package baton.coordinator.cli;

/** The exit codes every command keeps to. */
public final class ExitCodes {

  public static final int SUCCEEDED = 0;
  /** The job failed or was cancelled, or the command could not do what it was asked. */
  public static final int FAILED = 1;
  /** A bad spec or bad usage. */
  public static final int BAD_INPUT = 2;

  private ExitCodes() {
  }
}
