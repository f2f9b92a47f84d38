package baton.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code baton logs ID}: a job's own log, from the coordinator's log folder. */
@Command(name = "logs", mixinStandardHelpOptions = true,
    description = "Prints a job's log: accepted, started, progress, failed items with reasons, the end.")
final class LogsCommand extends ClientCommand {

  private static final Duration POLL = Duration.ofMillis(500);

  @Parameters(index = "0", paramLabel = "ID", description = "The job id.")
  String id;

  @Option(names = {"-f", "--follow"}, description = "Keep printing as the log grows, until the job ends.")
  boolean follow;

  @Override
  int run(CoordinatorClient client, PrintWriter out, PrintWriter err) throws Exception {
    if (client.status(id).isEmpty()) {
      return fail(err, ExitCodes.BAD_INPUT, "no job with id " + id);
    }
    long offset = 0;
    while (true) {
      boolean ended = !follow || client.status(id).map(Follow::ended).orElse(true);
      JsonNode chunk = client.log(id, offset);
      out.print(chunk.get("text").asText());
      out.flush();
      long next = chunk.get("next").asLong();
      if (next == offset && ended) {
        return ExitCodes.SUCCEEDED;
      }
      if (next == offset) {
        Thread.sleep(POLL.toMillis());
      }
      offset = next;
    }
  }
}
