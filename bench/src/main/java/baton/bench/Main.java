package baton.bench;

import baton.app.cli.JvmDefaults;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code baton bench}: runs the workloads on every contender and writes the table, a CSV and a chart. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Runs each workload (cpu-heavy, cpu-light, io-latency, mixed, big) on Baton embedded, Baton "
        + "with two node processes, a lock-based thread pool, one thread, virtual threads (JDK 21+) and JobRunr, a "
        + "warm-up then several rounds each, and prints items/s (median), the ratio to the lock-based pool and to "
        + "the physical limit, and the peak heap. Then many-jobs: tiny jobs through the HTTP API of a coordinator "
        + "with one node, and through JobRunr, by several clients at once (jobs/s, latency percentiles), and one "
        + "job at a time. Writes results.csv, latency.csv, results.txt and bench.png into --out.",
        "Exit codes: 0 every run completed, 1 some run failed, 2 bad usage."})
public final class Main implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--quick", description = "A tenth to a fifth of the items and one round: under two minutes.")
  boolean quick;

  @Option(names = "--out", paramLabel = "DIR", defaultValue = "bench-out",
      description = "Where results.csv, results.txt, bench.png and the runs' logs go (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--workloads", paramLabel = "NAME", split = ",",
      description = "Only these workloads (default: all).")
  List<String> only;

  @Option(names = "--contenders", paramLabel = "NAME", split = ",",
      description = "Only these contenders: baton, nodes, lock-pool, thread, virtual, jobrunr (default: all). "
          + "The one-thread contender gives the physical limit of the cpu workloads; many-jobs runs on nodes "
          + "(a coordinator and one node) and jobrunr.")
  List<String> contenderNames;

  private static final List<String> CONTENDERS = List.of("thread", "lock-pool", "virtual", "baton", "nodes", "jobrunr");

  public static void main(String[] args) {
    JvmDefaults.apply();
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<Workload> workloads = new ArrayList<>(Workload.standard(quick));
    boolean manyJobs = only == null || only.contains(ManyJobs.NAME);
    if (only != null) {
      for (String name : only) {
        if (!name.equals(ManyJobs.NAME) && workloads.stream().noneMatch(w -> w.name().equals(name))) {
          List<String> names = new ArrayList<>(workloads.stream().map(Workload::name).toList());
          names.add(ManyJobs.NAME);
          err.println("baton: no workload " + name + "; there are " + names);
          return 2;
        }
      }
      workloads.removeIf(w -> !only.contains(w.name()));
    }
    List<String> chosen = contenderNames == null ? CONTENDERS : contenderNames;
    for (String name : chosen) {
      if (!CONTENDERS.contains(name)) {
        err.println("baton: no contender " + name + "; there are " + String.join(", ", CONTENDERS));
        return 2;
      }
    }
    Files.createDirectories(out);
    Path dir = out.toAbsolutePath().normalize();
    int cores = Runtime.getRuntime().availableProcessors();
    String machine = machine(cores);
    err.println("baton bench" + (quick ? " --quick" : "") + ": " + machine);
    err.println("  load at start: " + load());
    err.flush();
    Bench bench = new Bench(Bench.Settings.of(quick, cores), err);
    long started = System.nanoTime();
    List<Report.Row> rows = new ArrayList<>();
    List<Report.LatencyRow> latencies = new ArrayList<>();
    try (HeapSampler heap = new HeapSampler(); Contenders contenders = new Contenders()) {
      // One thread first: its rate on the cpu workloads is the physical limit the others are held to.
      for (String name : CONTENDERS) {
        if (!chosen.contains(name)) {
          continue;
        }
        switch (name) {
          case "thread" -> contenders.add(new ThreadContenders.OneThread(heap));
          case "lock-pool" -> contenders.add(new ThreadContenders.LockPool(cores, heap));
          case "virtual" -> {
            if (ThreadContenders.VirtualThreads.available()) {
              contenders.add(new ThreadContenders.VirtualThreads(heap));
            } else {
              err.println("  virtual threads: skipped, this JDK (" + Runtime.version().feature()
                  + ") has none; run the bench on JDK 21 or later (JAVA_HOME) to include them");
            }
          }
          case "baton" -> contenders.add(new EmbeddedContender(dir, heap));
          case "nodes" -> contenders.add(new ClusterContender(batonJar(), dir, 2, Math.max(1, cores / 2)));
          default -> contenders.add(new JobRunrContender(dir.resolve("logs"), cores, heap));
        }
      }
      rows.addAll(bench.run(workloads, contenders.list));
    }
    if (!workloads.isEmpty()) {
      err.printf(Locale.ROOT, "  item workloads took %.0f s%n", (System.nanoTime() - started) / 1e9);
    }
    if (manyJobs) {
      // After the item workloads' processes are gone: the one-node cluster has the machine to itself.
      try (HeapSampler heap = new HeapSampler(); Contenders contenders = new Contenders()) {
        List<ManyJobs.Target> targets = new ArrayList<>();
        if (chosen.contains("nodes")) {
          ClusterContender cluster = new ClusterContender(batonJar(), dir.resolve("many-jobs"), 1, cores);
          contenders.add(cluster);
          targets.add(new ManyJobs.Target(cluster.name(), () -> cluster.jobApi(ManyJobs.JOB)));
        }
        if (chosen.contains("jobrunr")) {
          JobRunrContender jobRunr = new JobRunrContender(dir.resolve("logs"), cores, heap);
          targets.add(new ManyJobs.Target(jobRunr.name(), jobRunr::manyJobs));
        }
        Bench.JobsResults results = bench.manyJobs(ManyJobs.Settings.of(quick), targets);
        rows.addAll(results.rows());
        latencies.addAll(results.latencies());
      }
      err.printf(Locale.ROOT, "  with many-jobs, the bench took %.0f s%n", (System.nanoTime() - started) / 1e9);
    }
    String loadAtEnd = load();
    String summary = "baton bench" + (quick ? " --quick" : "") + ", " + Instant.now() + "\n" + machine + "\n"
        + "load average (1, 5, 15 min) at the end: " + loadAtEnd + "\n\n" + Report.table(rows) + "\n"
        + (latencies.isEmpty() ? "" : "many-jobs: " + manyJobsSetup(quick) + "\n" + Report.latencyTable(latencies)
            + "\n")
        + (rows.stream().anyMatch(r -> r.contender().equals("jobrunr"))
            ? "Baton against JobRunr (rate over JobRunr's):\n" + Report.versus(rows, "jobrunr") + "\n" : "")
        + targets(bench, rows, workloads, latencies);
    stdout.print(summary);
    stdout.flush();
    Files.writeString(dir.resolve("results.txt"), summary, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("results.csv"), Report.csv(rows), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("latency.csv"), Report.latencyCsv(latencies), StandardCharsets.UTF_8);
    Chart.write(rows, latencies, "Baton bench on " + cores + " cores" + (quick ? " (--quick)" : "")
        + ": items/s vs the limit", dir.resolve("bench.png"));
    err.println("baton: wrote " + dir.resolve("results.csv") + ", latency.csv, results.txt and bench.png");
    if (!bench.failures().isEmpty()) {
      err.println("baton: " + bench.failures().size() + " run(s) failed:");
      bench.failures().forEach(failure -> err.println("  " + failure));
      err.flush();
      return 1;
    }
    err.flush();
    return 0;
  }

  /** The contenders, closed in reverse order, so the node processes are stopped whatever happened. */
  private static final class Contenders implements AutoCloseable {
    final List<Contender> list = new ArrayList<>();

    void add(Contender contender) {
      list.add(contender);
    }

    @Override
    public void close() throws Exception {
      Exception first = null;
      for (int i = list.size() - 1; i >= 0; i--) {
        try {
          list.get(i).close();
        } catch (Exception e) {
          first = first == null ? e : first;
        }
      }
      if (first != null) {
        throw first;
      }
    }
  }

  private static Path batonJar() {
    String jar = System.getProperty("baton.jar");
    if (jar != null) {
      return Path.of(jar);
    }
    return Path.of(System.getProperty("baton.home", "."), "coordinator", "target", "baton.jar");
  }

  static String machine(int cores) {
    return cores + " cores, " + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", Java "
        + System.getProperty("java.vm.version") + " (" + System.getProperty("java.vm.name") + "), bench heap "
        + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB";
  }

  static String load() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return String.join(" ", Arrays.copyOf(fields, 3));
    } catch (IOException | RuntimeException e) {
      return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
  }

  static String manyJobsSetup(boolean quick) {
    ManyJobs.Settings jobs = ManyJobs.Settings.of(quick);
    return String.format(Locale.ROOT, "%d jobs (range 1..%d, sha256) by %d clients at once, up to %d warm-up burst(s), "
            + "%d counted (jobs/s: median; latencies: all their jobs); then %d jobs one at a time on the idle "
            + "system. Baton: coordinator --data-dir and one node over HTTP; JobRunr: in this JVM, in-memory "
            + "storage, %d workers, poll interval %d ms.%n", jobs.jobs(), ManyJobs.ITEMS, jobs.clients(),
        jobs.warmUps(), jobs.rounds(), jobs.singleJobs(), Runtime.getRuntime().availableProcessors(),
        JobRunrContender.POLL.toMillis());
  }

  /** The targets, each with the numbers it is judged on. */
  static String targets(Bench bench, List<Report.Row> rows, List<Workload> workloads,
      List<Report.LatencyRow> latencies) {
    StringBuilder text = new StringBuilder("Targets:\n");
    text.append(itemTargets(bench, rows, workloads));
    Optional<Report.Row> jobs = row(rows, ManyJobs.NAME, "baton 1 node");
    jobs.ifPresent(r -> text.append(String.format(Locale.ROOT, "  %-58s %s%n",
        "many-jobs: baton 1 node >= 200 jobs/s", Report.rate(r.itemsPerSecond())
            + (r.itemsPerSecond() >= 200 ? "  met" : "  MISSED"))));
    latencies.stream().filter(l -> l.workload().equals(ManyJobs.ONE_JOB) && l.contender().equals("baton 1 node")
        && l.measure().equals(Report.IN_SYSTEM)).findFirst().ifPresent(l -> text.append(String.format(Locale.ROOT,
            "  %-58s p50 %s ms, p99 %s ms  %s%n", "one job idle: baton p50 <= 25 ms, p99 <= 100 ms (taken->finished)",
            Latencies.Percentiles.ms(l.percentiles().p50()), Latencies.Percentiles.ms(l.percentiles().p99()),
            l.percentiles().p50() <= 25 && l.percentiles().p99() <= 100 ? "met" : "MISSED")));
    return text.toString();
  }

  private static String itemTargets(Bench bench, List<Report.Row> rows, List<Workload> workloads) {
    StringBuilder text = new StringBuilder();
    for (Workload workload : workloads) {
      Optional<Report.Row> baton = row(rows, workload.name(), Bench.EMBEDDED);
      Optional<Report.Row> nodes = row(rows, workload.name(), Bench.NODES);
      switch (workload.name()) {
        case "cpu-heavy" -> {
          text.append(line("cpu-heavy: baton >= 0.90 of the limit", baton.map(Report.Row::vsLimit), 0.90));
          text.append(line("cpu-heavy: baton not behind the lock pool (>= 1.00)",
              baton.map(Report.Row::vsLockPool), 1.0));
        }
        case "cpu-light" -> {
          text.append(line("cpu-light: baton ahead of the lock pool (> 1.00)", baton.map(Report.Row::vsLockPool),
              1.0));
          text.append(String.format(Locale.ROOT, "  %-58s %s%n", "cpu-light: baton 2 nodes >= 50,000 items/s",
              nodes.map(r -> Report.rate(r.itemsPerSecond()) + (r.itemsPerSecond() >= 50_000 ? "  met" : "  MISSED"))
                  .orElse("not run")));
        }
        case "io-latency" -> text.append(line("io-latency: baton within 1.2x of ideal (>= 0.83 of the limit)",
            baton.map(Report.Row::vsLimit), 1 / 1.2));
        case "mixed" -> {
          text.append(line("mixed: baton close to its slowest stage (share of the limit)",
              baton.map(Report.Row::vsLimit), 0.8));
          Optional<Double> sum = bench.sumOfStagesSeconds(workload);
          Optional<Double> slowest = bench.limit(workload).map(l -> workload.items() / l);
          if (baton.isPresent() && sum.isPresent() && slowest.isPresent()) {
            // Overlapping stages take the slowest stage's time plus one item's trip through the others (the
            // pipeline filling and draining); one after the other, they take the sum.
            text.append(String.format(Locale.ROOT, "  %-58s %.2f s: slowest stage %.2f s + one item's waits %.2f s; "
                    + "sum of stages %.2f s%n",
                "mixed: baton's time", baton.get().items() / baton.get().itemsPerSecond(), slowest.get(),
                workload.delayMillis() / 1000.0, sum.get()));
          }
        }
        case "big" -> {
          for (Optional<Report.Row> row : List.of(baton, nodes)) {
            row.ifPresent(r -> text.append(String.format(Locale.ROOT, "  %-58s %s items/s, peak %s MB; %s%n",
                "big: " + r.contender() + " completed in " + Workload.BIG_HEAP_MB + " MB",
                Report.rate(r.itemsPerSecond()), r.peakHeapBytes() < 0 ? "-" : r.peakHeapBytes() >> 20, r.note())));
          }
        }
        default -> {
        }
      }
    }
    return text.toString();
  }

  private static Optional<Report.Row> row(List<Report.Row> rows, String workload, String contender) {
    return rows.stream().filter(r -> r.workload().equals(workload) && r.contender().equals(contender)).findFirst();
  }

  private static String line(String target, Optional<OptionalDouble> value, double threshold) {
    String result = value.filter(OptionalDouble::isPresent)
        .map(v -> String.format(Locale.ROOT, "%.2f  %s", v.getAsDouble(),
            v.getAsDouble() >= threshold ? "met" : "MISSED"))
        .orElse("not measured");
    return String.format(Locale.ROOT, "  %-58s %s%n", target, result);
  }
}
