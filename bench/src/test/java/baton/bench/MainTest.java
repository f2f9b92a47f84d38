package baton.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

final class MainTest {

  private final StringWriter err = new StringWriter();

  private int execute(String... args) {
    CommandLine command = new CommandLine(new Main());
    command.setErr(new PrintWriter(err));
    command.setOut(new PrintWriter(new StringWriter()));
    return command.execute(args);
  }

  @Test
  void contenders_unknownName_usageErrorListingJobRunr() {
    assertEquals(2, execute("--contenders", "celery"));
    assertTrue(err.toString().contains("no contender celery; there are thread, lock-pool, virtual, baton, nodes, "
        + "jobrunr"), err.toString());
  }

  @Test
  void workloads_unknownName_usageErrorListingManyJobs() {
    assertEquals(2, execute("--workloads", "few-jobs"));
    assertTrue(err.toString().contains("no workload few-jobs; there are [cpu-heavy, cpu-light, io-latency, mixed, "
        + "big, many-jobs]"), err.toString());
  }
}
