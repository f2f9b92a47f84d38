package baton.bench;

import java.time.Instant;
import java.util.Optional;

/**
 * Where the many-jobs driver submits its jobs and reads their states: Baton's HTTP API, or JobRunr in this JVM.
 * Implementations are called from several client threads at once.
 */
interface JobApi extends AutoCloseable {

  /** Submits one tiny job (ten items, each hashed once) and returns its id once the system has taken it. */
  String submit() throws Exception;

  /** The job's state as a client sees it now. */
  Status status(String id) throws Exception;

  /** Lets go of what this API holds (JobRunr's server); Baton's cluster is stopped by its contender. */
  @Override
  default void close() throws Exception {
  }

  /**
   * A job's state.
   *
   * @param submittedAt when the system took the job, by its own clock
   * @param finishedAt when it ended, by the same clock; empty until then
   * @param failure why it did not succeed, once it ended otherwise
   */
  record Status(boolean finished, Instant submittedAt, Optional<Instant> finishedAt, Optional<String> failure) {

    static Status running(Instant submittedAt) {
      return new Status(false, submittedAt, Optional.empty(), Optional.empty());
    }

    static Status succeeded(Instant submittedAt, Instant finishedAt) {
      return new Status(true, submittedAt, Optional.of(finishedAt), Optional.empty());
    }

    static Status failed(Instant submittedAt, String failure) {
      return new Status(true, submittedAt, Optional.empty(), Optional.of(failure));
    }
  }
}
