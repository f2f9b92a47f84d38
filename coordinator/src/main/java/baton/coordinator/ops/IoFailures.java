package baton.coordinator.ops;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Short, readable reasons for failed file calls, for the job log. */
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
}
