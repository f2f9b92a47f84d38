package baton.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

final class ColdRunTest {

  @Test
  void run_workloadAndItemCount_printsTheItemsTheLockPoolDidAndItsTime() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    ColdRun.run(new String[] {"cpu-light", "2000"}, new PrintStream(bytes, true, StandardCharsets.UTF_8));

    String out = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(out.matches("lock pool: 2000 items of cpu-light in \\d+ ms\\R"), out);
  }
}
