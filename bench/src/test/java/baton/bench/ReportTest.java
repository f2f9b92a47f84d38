package baton.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

final class ReportTest {

  private static final Report.Row POOL = new Report.Row("cpu-light", "lock pool", 300_000, 3, 1_234_567.8,
      OptionalDouble.of(1.0), OptionalDouble.of(0.456), 150L << 20, "");
  private static final Report.Row NODES = new Report.Row("io-latency", "baton 2 nodes", 5000, 3, 42.25,
      OptionalDouble.empty(), OptionalDouble.empty(), -1, "ran 20 of 5000 items, \"capped\"");

  @Test
  void median_oddCount_middleValue() {
    assertEquals(3.0, Report.median(List.of(9.0, 1.0, 3.0)));
  }

  @Test
  void median_evenCount_meanOfTheMiddleTwo() {
    assertEquals(2.5, Report.median(List.of(4.0, 1.0, 2.0, 3.0)));
  }

  @Test
  void median_noValues_refused() {
    assertThrows(IllegalArgumentException.class, () -> Report.median(List.of()));
  }

  @Test
  void csv_rows_oneLineEachWithQuotedNotesAndEmptyUnknowns() {
    String csv = Report.csv(List.of(POOL, NODES));
    assertEquals("workload,contender,items,rounds,items_per_s,vs_lock_pool,vs_limit,peak_heap_mb,note\n"
        + "cpu-light,lock pool,300000,3,1234567.8,1.00,0.46,150,\n"
        + "io-latency,baton 2 nodes,5000,3,42.3,,,,\"ran 20 of 5000 items, \"\"capped\"\"\"\n", csv);
  }

  @Test
  void table_rows_alignedUnderAHeaderWithDashesForUnknowns() {
    String[] lines = Report.table(List.of(POOL, NODES)).split("\n");
    assertEquals(4, lines.length);
    assertTrue(lines[0].startsWith("workload    contender      "), lines[0]);
    assertTrue(lines[1].startsWith("----------  -------------"), lines[1]);
    assertTrue(lines[2].contains("1,234,568") && lines[2].contains("0.46") && lines[2].contains(" 150"), lines[2]);
    assertTrue(lines[3].contains("42.3") && lines[3].contains(" -  "), lines[3]);
    int itemsEnd = lines[0].indexOf("items/s") + "items/s".length();
    assertEquals(itemsEnd, lines[2].indexOf("1,234,568") + "1,234,568".length(), "numbers are right-aligned");
  }

  @Test
  void versus_jobRunr_batonsRateOverTheirsPerWorkload() {
    Report.Row baton = new Report.Row("cpu-light", "baton", 300_000, 3, 1_500_000, OptionalDouble.empty(),
        OptionalDouble.empty(), -1, "");
    Report.Row jobRunr = new Report.Row("cpu-light", "jobrunr", 5_000, 3, 3_000, OptionalDouble.empty(),
        OptionalDouble.empty(), -1, "");
    Report.Row cluster = new Report.Row(ManyJobs.NAME, "baton 1 node", 300, 3, 20, OptionalDouble.empty(),
        OptionalDouble.empty(), -1, "");
    Report.Row jobRunrJobs = new Report.Row(ManyJobs.NAME, "jobrunr", 300, 3, 80, OptionalDouble.empty(),
        OptionalDouble.empty(), -1, "");
    String[] lines = Report.versus(List.of(baton, jobRunr, cluster, jobRunrJobs, POOL), "jobrunr").split("\n");
    assertEquals(2, lines.length);
    assertTrue(lines[0].contains("cpu-light") && lines[0].contains("500.00x wins"), lines[0]);
    assertTrue(lines[1].contains("many-jobs") && lines[1].contains("0.25x loses") && lines[1].contains("jobs/s"),
        lines[1]);
  }

  @Test
  void latencyCsv_rows_millisecondsWithThreeDecimals() {
    String csv = Report.latencyCsv(List.of(new Report.LatencyRow(ManyJobs.ONE_JOB, "jobrunr", Report.IN_SYSTEM,
        new Latencies.Percentiles(100, 12.5, 90, 99.25, 180))));
    assertEquals("workload,contender,latency,jobs,p50_ms,p90_ms,p99_ms,max_ms\n"
        + "\"one job, idle\",jobrunr,taken -> finished,100,12.500,90.000,99.250,180.000\n", csv);
  }

  @Test
  void rate_belowAHundred_oneDecimal_elseWholeWithSeparators() {
    assertEquals("9.5", Report.rate(9.54));
    assertEquals("12,345", Report.rate(12_345.4));
  }
}
