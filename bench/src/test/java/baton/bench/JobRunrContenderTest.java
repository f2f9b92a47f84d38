package baton.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class JobRunrContenderTest {

  @TempDir
  Path dir;

  private final HeapSampler heap = new HeapSampler();

  @AfterEach
  void stop() {
    heap.close();
  }

  @Test
  void run_tinyCpuWorkload_everyItemHashedOnceByTheWorkers() throws Exception {
    JobRunrContender jobRunr = new JobRunrContender(dir, 2, heap);
    Workload workload = new Workload("tiny", 50, List.of(new Workload.Sha256(3)), false);
    Contender.Run run = jobRunr.run(workload);
    assertEquals(50, run.items());
    assertEquals("2 workers", run.note());
    assertTrue(run.nanos() > 0);
  }

  @Test
  void run_waitingWorkload_oneWorkerPerItemInFlight() throws Exception {
    JobRunrContender jobRunr = new JobRunrContender(dir, 2, heap);
    Workload workload = new Workload("waits", 40, List.of(new Workload.Delay(1, 20), new Workload.Sha256(1)), false);
    Contender.Run run = jobRunr.run(workload);
    assertEquals(40, run.items());
    assertEquals("20 workers", run.note());
  }

  @Test
  void items_bigWorkload_aTenthAtMostAndAtLeastTheProbe() throws Exception {
    JobRunrContender jobRunr = new JobRunrContender(dir, 2, heap);
    Workload big = new Workload("big", 2_000, List.of(new Workload.Sha256(1)), true);
    long items = jobRunr.items(big, 0.01);
    assertEquals(200, items, "a tenth of a small-heap workload, which is also the probe");
  }

  @Test
  void manyJobs_burstOnJobRunr_everyJobSeenSucceeded() throws Exception {
    try (JobApi api = new JobRunrContender(dir, 2, heap).manyJobs()) {
      ManyJobs.Result result = ManyJobs.burst(api, 30, 4, Duration.ofMillis(2), Duration.ofMinutes(1));
      assertEquals(30, result.jobs());
      assertEquals(30, result.inSystem().count());
      assertEquals(30, result.seen().count());
      assertTrue(result.inSystem().percentiles().max() > 0);
    }
  }
}
