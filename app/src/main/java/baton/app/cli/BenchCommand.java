package baton.app.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code baton bench}: listed here so that {@code --help} names it; bin/baton runs it, with the bench module's jar
 * (its contenders and Baton's own node processes), so this jar only says where to find it.
 */
@Command(name = "bench",
    description = {"Runs the benchmark: Baton against a thread, a lock pool and virtual threads on the same "
        + "workloads (bin/baton bench [--quick] [--out DIR]; see the README's Performance section)."})
final class BenchCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Unmatched
  List<String> args;

  @Override
  public Integer call() {
    spec.commandLine().getErr().println("baton: bench runs from bin/baton (bin/baton bench [--quick] [--out DIR]), "
        + "which starts the bench module's jar; this jar runs Baton itself");
    spec.commandLine().getErr().flush();
    return ExitCodes.BAD_INPUT;
  }
}
