package baton.coordinator.api;

/** Where a job is in its life. The last three are final. */
public enum JobState {
  ACCEPTED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

  public boolean isFinal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }
}
