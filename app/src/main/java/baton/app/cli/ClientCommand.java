package baton.app.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What client commands share: the {@code --coordinator} and {@code --token} options and the mapping of failures to
 * exit codes (2 bad input, missing or wrong token, or unknown job, 3 coordinator unreachable, 1 anything else the
 * coordinator refused).
 */
abstract class ClientCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions options;

  @Override
  public final Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    try {
      return run(options.client(), spec.commandLine().getOut(), err);
    } catch (CoordinatorClient.Unreachable e) {
      return fail(err, ExitCodes.UNREACHABLE, e.getMessage());
    } catch (CoordinatorClient.ApiError e) {
      // 401: no token or the wrong one, a usage problem like a bad spec.
      int code = e.status == 400 || e.status == 401 || e.status == 404 || e.status == 413
          ? ExitCodes.BAD_INPUT : ExitCodes.FAILED;
      return fail(err, code, e.getMessage());
    } catch (IllegalArgumentException e) {
      return fail(err, ExitCodes.BAD_INPUT, e.getMessage());
    }
  }

  abstract int run(CoordinatorClient client, PrintWriter out, PrintWriter err) throws Exception;

  static int fail(PrintWriter err, int code, String message) {
    err.println("baton: " + message);
    err.flush();
    return code;
  }
}
