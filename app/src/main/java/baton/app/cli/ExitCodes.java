package baton.app.cli;

/** The exit codes every command keeps to. */
public final class ExitCodes {

  public static final int SUCCEEDED = 0;
  /** The job failed or was cancelled, or the command could not do what it was asked. */
  public static final int FAILED = 1;
  /** A bad spec or bad usage. */
  public static final int BAD_INPUT = 2;
  /** A client command could not reach the coordinator at all. */
  public static final int UNREACHABLE = 3;
  /**
   * The process could not start: its port is taken, its data dir locked or not writable, its journal's PostgreSQL
   * refused it (wrong password, no such database).
   */
  public static final int CANNOT_START = 4;
  /** {@code baton run} was interrupted (Ctrl-C, SIGINT): the job was cancelled. 128 + the signal's number. */
  public static final int INTERRUPTED = 130;
  /** {@code baton run} got SIGTERM: the job was cancelled. 128 + the signal's number. */
  public static final int TERMINATED = 143;
  /**
   * The coordinator's journal did not work for longer than {@code baton.journal.max-down}, or its PostgreSQL server
   * did not answer at start, or the cluster downed the coordinator (cut off from the other members); starting it
   * again may help (sysexits' EX_TEMPFAIL).
   */
  public static final int JOURNAL_UNREACHABLE = 75;

  private ExitCodes() {
  }
}
