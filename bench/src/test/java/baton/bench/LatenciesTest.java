package baton.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

final class LatenciesTest {

  @Test
  void percentiles_oneToAThousandMillis_withinTheHistogramsPrecision() {
    Latencies latencies = new Latencies();
    for (long millis = 1000; millis >= 1; millis--) {
      latencies.recordNanos(millis * 1_000_000);
    }
    Latencies.Percentiles p = latencies.percentiles();
    assertEquals(1000, p.count());
    assertEquals(500, p.p50(), 0.5);
    assertEquals(900, p.p90(), 0.9);
    assertEquals(990, p.p99(), 1.0);
    assertEquals(1000, p.max(), 1.0);
  }

  @Test
  void add_twoClients_percentilesOfAllTheirJobs() {
    Latencies fast = new Latencies();
    Latencies slow = new Latencies();
    for (int n = 0; n < 90; n++) {
      fast.recordNanos(2_000_000);
    }
    for (int n = 0; n < 10; n++) {
      slow.recordNanos(300_000_000);
    }
    fast.add(slow);
    Latencies.Percentiles p = fast.percentiles();
    assertEquals(100, p.count());
    assertEquals(2.0, p.p50(), 0.01);
    assertEquals(2.0, p.p90(), 0.01);
    assertEquals(300, p.p99(), 0.3);
    assertEquals(300, p.max(), 0.3);
  }

  @Test
  void percentiles_nothingRecorded_refused() {
    assertThrows(IllegalStateException.class, () -> new Latencies().percentiles());
  }
}
