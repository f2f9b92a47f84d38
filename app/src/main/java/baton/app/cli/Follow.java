package baton.app.cli;

import baton.coordinator.api.JobStatus;
import java.time.Duration;

/** The one poll-until-done loop, for {@code run} and for {@code submit}/{@code status --wait}. */
final class Follow {

  /** How often a followed job's status is asked for. */
  static final Duration POLL = Duration.ofMillis(200);
  /** How often a progress line is printed when stderr is not a terminal. */
  static final Duration LINE_INTERVAL = Duration.ofSeconds(3);

  /** One status of the followed job; throws when the job is gone. */
  @FunctionalInterface
  interface Poll {
    JobStatus status(String id) throws Exception;
  }

  /** Waits between two polls; answers true if the user interrupted in the meantime. */
  @FunctionalInterface
  interface Pause {
    boolean interrupted(Duration patience) throws InterruptedException;

    static Pause uninterruptible() {
      return patience -> {
        Thread.sleep(patience.toMillis());
        return false;
      };
    }
  }

  private Follow() {
  }

  /** Polls a job's status until it has ended, showing each on the view; the first interrupt runs {@code cancel}. */
  static JobStatus untilEnded(String id, Poll poll, ProgressView view, Pause pause, Runnable cancel)
      throws Exception {
    boolean cancelled = false;
    while (true) {
      JobStatus status = poll.status(id);
      view.update(status);
      if (ended(status)) {
        return status;
      }
      if (cancelled) {
        Thread.sleep(POLL.toMillis());
      } else if (pause.interrupted(POLL)) {
        cancelled = true;
        cancel.run();
      }
    }
  }

  /**
   * Whether the job has ended: its end is in the journal and its last log line written. A job being stopped
   * already shows its final state, but its counts and its log are not complete until {@code finishedAt} is set.
   */
  static boolean ended(JobStatus status) {
    return status.state().isFinal() && status.finishedAt() != null;
  }
}
