package baton.coordinator.cli;

import picocli.CommandLine;

/** The entry point of {@code bin/baton}; the only place that calls {@link System#exit}. */
public final class Main {

  private Main() {
  }

  public static void main(String[] args) {
    JvmDefaults.apply();
    System.exit(BatonCommand.commandLine().execute(args));
  }
}
