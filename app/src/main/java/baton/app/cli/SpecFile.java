package baton.app.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A job spec read from a file, with the name and folder the coordinator resolves its relative paths against. The one
 * place {@code run} and {@code submit} read a spec: a missing, unreadable or directory path is a {@link
 * Launch.UserError} with one line saying which.
 */
record SpecFile(String text, String name, Path dir) {

  static SpecFile read(Path file) throws Launch.UserError {
    if (Files.isDirectory(file)) {
      throw new Launch.UserError(file + " is a directory, not a spec file");
    }
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new Launch.UserError("no such spec file: " + file);
    } catch (IOException e) {
      throw new Launch.UserError("cannot read " + file + ": " + e.getMessage());
    }
    Path absolute = file.toAbsolutePath().normalize();
    return new SpecFile(text, absolute.getFileName().toString(), absolute.getParent());
  }
}
