package baton.coordinator.api;

/**
 * Where a job is in its life. The last three are final. A QUEUED job waits for one of the
 * {@code baton.coordinator.max-running-jobs} to end.
 */
public enum JobState {
  ACCEPTED, QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

  public boolean isFinal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }
}
