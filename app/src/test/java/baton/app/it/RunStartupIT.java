package baton.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code baton run} starts only what its job needs: its journal is in memory without a database, and a job without
 * {@code http-get} starts no HTTP client.
 */
final class RunStartupIT {

  @TempDir
  Path dir;

  @Test
  void run_tinySha256Job_startsNoDatabaseAndNoHttpClient() throws Exception {
    Path classes = dir.resolve("classes.txt");
    Files.writeString(dir.resolve("tiny.conf"), "name = tiny\ninput.range { from = 1, to = 10 }\n"
        + "stages = [ { op = sha256 } ]\noutput = \"out/tiny.tsv\"\n");
    try (BatonProcesses baton = new BatonProcesses(dir)) {
      Process run = baton.startWith("run", List.of("-Xlog:class+load=info:file=" + classes),
          "run", "tiny.conf", "--quiet");

      assertTrue(run.waitFor(Duration.ofSeconds(60).toMillis(), TimeUnit.MILLISECONDS), "run did not end");
      String printed = Files.readString(dir.resolve("run.out"));
      assertEquals(0, run.exitValue(), printed);
      assertTrue(printed.contains("10 succeeded"), printed);
    }
    assertEquals(10, Files.readAllLines(dir.resolve("out/tiny.tsv")).size());
    String loaded = Files.readString(classes);
    for (String started : List.of("org.h2.Driver ", "com.zaxxer.hikari.HikariDataSource ",
        "org.apache.pekko.persistence.jdbc.journal.JdbcAsyncWriteJournal ", "jdk.internal.net.http.HttpClientImpl ")) {
      assertFalse(loaded.contains(started), started.strip() + " was loaded by a run without a database or http-get");
    }
  }
}
