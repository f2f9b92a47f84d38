package baton.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Runs every workload on every contender: a warm-up, then the rounds; keeps the median rate and the peak heap, and
 * relates each rate to the lock-based pool's and to the workload's physical limit.
 */
final class Bench {

  /**
   * How a bench runs. Warm-up runs have {@code 1 / warmUpDivisor} of the items ({@code bigWarmUpDivisor} for the
   * small-heap workload) and go on, up to {@code maxWarmUps}, until two in a row agree within
   * {@link #STEADY}: Baton's code path (streams, actors, remoting, in every process) takes the JIT a few runs.
   */
  record Settings(int rounds, double threadBudgetSeconds, int warmUpDivisor, int bigWarmUpDivisor, int maxWarmUps,
      int cores) {
    static Settings of(boolean quick, int cores) {
      return quick ? new Settings(1, 1.0, 10, 10, 1, cores) : new Settings(3, 2.5, 1, 5, 6, cores);
    }
  }

  private static final double STEADY = 0.05;
  private static final double JOBS_STEADY = 0.10;

  static final String LOCK_POOL = "lock pool";
  static final String ONE_THREAD = "1 thread";
  static final String EMBEDDED = "baton";
  static final String NODES = "baton 2 nodes";

  private final Settings settings;
  private final PrintWriter log;
  // One thread's rate at each number of sha256 rounds, measured on the cpu-only workloads of this run.
  private final Map<Integer, Double> oneThreadRate = new HashMap<>();
  private final List<String> failures = new ArrayList<>();

  Bench(Settings settings, PrintWriter log) {
    this.settings = settings;
    this.log = log;
  }

  List<String> failures() {
    return failures;
  }

  List<Report.Row> run(List<Workload> workloads, List<Contender> contenders) {
    List<Report.Row> rows = new ArrayList<>();
    for (Workload workload : workloads) {
      Map<String, Measured> measured = new LinkedHashMap<>();
      for (Contender contender : contenders) {
        try {
          measured.put(contender.name(), measure(contender, workload));
        } catch (Exception | OutOfMemoryError e) {
          String message = workload.name() + " on " + contender.name() + " failed: " + e.getMessage();
          failures.add(message);
          log.println("  " + message);
          log.flush();
        }
      }
      Measured one = measured.get(ONE_THREAD);
      if (one != null && workload.cpuOnly() && workload.steps().size() == 1) {
        oneThreadRate.put(((Workload.Sha256) workload.steps().get(0)).rounds(), one.rate());
      }
      Optional<Double> limit = limit(workload);
      Measured pool = measured.get(LOCK_POOL);
      measured.forEach((name, m) -> rows.add(new Report.Row(workload.name(), name, m.items(), m.rounds(), m.rate(),
          pool == null ? OptionalDouble.empty() : OptionalDouble.of(m.rate() / pool.rate()),
          limit.map(l -> OptionalDouble.of(m.rate() / l)).orElse(OptionalDouble.empty()), m.peakHeapBytes(),
          m.note())));
    }
    return rows;
  }

  /**
   * The most items per second the machine allows: stages overlap, so it is the slowest stage's: a waiting stage
   * passes parallelism / delay, a hashing stage the cores times one thread's rate.
   */
  Optional<Double> limit(Workload workload) {
    double limit = Double.MAX_VALUE;
    for (Workload.Step step : workload.steps()) {
      if (step instanceof Workload.Delay delay) {
        limit = Math.min(limit, delay.parallelism() * 1000.0 / delay.millis());
      } else {
        Double one = oneThreadRate.get(((Workload.Sha256) step).rounds());
        if (one == null) {
          return Optional.empty();
        }
        limit = Math.min(limit, settings.cores() * one);
      }
    }
    return Optional.of(limit);
  }

  /** Seconds the workload's stages would take one after the other at their limits, for {@code mixed}. */
  Optional<Double> sumOfStagesSeconds(Workload workload) {
    double seconds = 0;
    for (Workload.Step step : workload.steps()) {
      Optional<Double> rate = limit(new Workload(workload.name(), workload.items(), List.of(step), false));
      if (rate.isEmpty()) {
        return Optional.empty();
      }
      seconds += workload.items() / rate.get();
    }
    return Optional.of(seconds);
  }

  private record Measured(long items, int rounds, double rate, long peakHeapBytes, String note) {
  }

  /** The many-jobs workload's results: a row per target (jobs/s) and its latencies. */
  record JobsResults(List<Report.Row> rows, List<Report.LatencyRow> latencies) {
  }

  /**
   * Runs the many-jobs workload on each target: warm-up bursts, the counted bursts (their median jobs/s, the
   * latencies of all their jobs), then jobs one at a time on the idle target.
   */
  JobsResults manyJobs(ManyJobs.Settings jobs, List<ManyJobs.Target> targets) {
    List<Report.Row> rows = new ArrayList<>();
    List<Report.LatencyRow> latencies = new ArrayList<>();
    for (ManyJobs.Target target : targets) {
      try (JobApi api = target.open().call()) {
        // Warm-up bursts until two in a row agree within 10% (Baton's went 10 -> 26 -> 35 -> 42 -> 54 jobs/s).
        double lastRate = 0;
        for (int run = 1; run <= jobs.warmUps(); run++) {
          ManyJobs.Result warmUp = ManyJobs.burst(api, jobs.jobs(), jobs.clients(), jobs.burstPoll(), jobs.deadline());
          log.printf(Locale.ROOT, "  %-10s %-16s warm-up %d: %d jobs in %.2f s = %s jobs/s%n", ManyJobs.NAME,
              target.name(), run, warmUp.jobs(), warmUp.nanos() / 1e9, Report.rate(warmUp.jobsPerSecond()));
          log.flush();
          if (Math.abs(warmUp.jobsPerSecond() - lastRate) <= JOBS_STEADY * warmUp.jobsPerSecond()) {
            break;
          }
          lastRate = warmUp.jobsPerSecond();
        }
        List<Double> rates = new ArrayList<>();
        Latencies inSystem = new Latencies();
        Latencies seen = new Latencies();
        for (int round = 1; round <= jobs.rounds(); round++) {
          ManyJobs.Result burst = ManyJobs.burst(api, jobs.jobs(), jobs.clients(), jobs.burstPoll(), jobs.deadline());
          rates.add(burst.jobsPerSecond());
          inSystem.add(burst.inSystem());
          seen.add(burst.seen());
          log.printf(Locale.ROOT, "  %-10s %-16s round %d: %d jobs in %.2f s = %s jobs/s; taken -> finished %s%n",
              ManyJobs.NAME, target.name(), round, burst.jobs(), burst.nanos() / 1e9,
              Report.rate(burst.jobsPerSecond()), burst.inSystem().percentiles().text());
          log.flush();
        }
        ManyJobs.oneAtATime(api, Math.max(1, jobs.singleJobs() / 10), jobs.singlePoll(), jobs.singlePause(),
            jobs.deadline());
        ManyJobs.Result single = ManyJobs.oneAtATime(api, jobs.singleJobs(), jobs.singlePoll(), jobs.singlePause(),
            jobs.deadline());
        log.printf(Locale.ROOT, "  %-10s %-16s one at a time: taken -> finished %s%n", ManyJobs.NAME, target.name(),
            single.inSystem().percentiles().text());
        log.flush();
        rows.add(new Report.Row(ManyJobs.NAME, target.name(), jobs.jobs(), jobs.rounds(), Report.median(rates),
            OptionalDouble.empty(), OptionalDouble.empty(), -1, "jobs/s, " + jobs.clients() + " clients; taken -> "
            + "finished p50 " + Latencies.Percentiles.ms(inSystem.percentiles().p50()) + " ms, one job idle p50 "
            + Latencies.Percentiles.ms(single.inSystem().percentiles().p50()) + " ms"));
        latencies.add(new Report.LatencyRow(ManyJobs.NAME, target.name(), Report.IN_SYSTEM, inSystem.percentiles()));
        latencies.add(new Report.LatencyRow(ManyJobs.NAME, target.name(), Report.SEEN, seen.percentiles()));
        latencies.add(new Report.LatencyRow(ManyJobs.ONE_JOB, target.name(), Report.IN_SYSTEM,
            single.inSystem().percentiles()));
        latencies.add(new Report.LatencyRow(ManyJobs.ONE_JOB, target.name(), Report.SEEN,
            single.seen().percentiles()));
      } catch (Exception | OutOfMemoryError e) {
        String message = ManyJobs.NAME + " on " + target.name() + " failed: " + e;
        failures.add(message);
        log.println("  " + message);
        log.flush();
      }
    }
    return new JobsResults(rows, latencies);
  }

  private Measured measure(Contender contender, Workload workload) throws Exception {
    Workload sized = workload.withItems(contender.items(workload, settings.threadBudgetSeconds()));
    int rounds = settings.rounds();
    int divisor = workload.smallHeap() ? settings.bigWarmUpDivisor() : settings.warmUpDivisor();
    // A small-heap run on Baton embedded warms up in its own child JVM; the other small-heap runs warm up once.
    if (!(workload.smallHeap() && contender.name().equals(EMBEDDED))) {
      Workload warmUp = sized.withItems(Math.max(1, sized.items() / divisor));
      int most = workload.smallHeap() ? 1 : settings.maxWarmUps();
      double last = 0;
      int run = 1;
      for (; run <= most; run++) {
        double rate = contender.run(warmUp).itemsPerSecond();
        if (Math.abs(rate - last) <= STEADY * rate) {
          break;
        }
        last = rate;
      }
      log.printf(Locale.ROOT, "  %-10s %-16s warmed up in %d run(s) of %,d items%n", workload.name(), contender.name(),
          Math.min(run, most), warmUp.items());
    }
    List<Double> rates = new ArrayList<>();
    long peak = -1;
    String note = "";
    for (int round = 1; round <= rounds; round++) {
      Contender.Run run = contender.run(sized);
      rates.add(run.itemsPerSecond());
      peak = Math.max(peak, run.peakHeapBytes());
      note = run.note();
      log.printf(Locale.ROOT, "  %-10s %-16s round %d: %,d items in %.2f s = %s items/s%n", workload.name(),
          contender.name(), round, run.items(), run.nanos() / 1e9, Report.rate(run.itemsPerSecond()));
      log.flush();
    }
    if (sized.items() < workload.items()) {
      note = (note.isEmpty() ? "" : note + "; ") + "ran " + sized.items() + " of " + workload.items()
          + " items (" + contender.fewerItemsBecause() + ")";
    }
    return new Measured(sized.items(), rounds, Report.median(rates), peak, note);
  }
}
