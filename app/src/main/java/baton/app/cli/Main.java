package baton.app.cli;

import baton.app.logging.LogSetup;

/** The entry point of {@code bin/baton}; the only place that calls {@link System#exit}. */
public final class Main {

  private Main() {
  }

  public static void main(String[] args) {
    JvmDefaults.apply();
    int code = BatonCommand.commandLine().execute(args);
    LogSetup.stop();
    System.exit(code);
  }
}
