package baton.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The bench's chart: per workload, each contender's items per second as a share of the physical limit; below it,
 * when many-jobs ran, each contender's jobs/s and job latencies (taken to finished).
 */
final class Chart {

  private static final int WIDTH = 1000;
  private static final int HEIGHT = 520;

  private Chart() {
  }

  static void write(List<Report.Row> rows, List<Report.LatencyRow> latencies, String title, Path png)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<CategoryChart> charts = new ArrayList<>();
    itemsChart(rows, title).ifPresent(charts::add);
    if (!latencies.isEmpty()) {
      charts.add(latencyChart(rows, latencies));
    }
    if (charts.size() == 1) {
      BitmapEncoder.saveBitmap(charts.get(0), png.toString(), BitmapEncoder.BitmapFormat.PNG);
    } else if (charts.size() == 2) {
      BitmapEncoder.saveBitmap(charts, 2, 1, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
  }

  private static Optional<CategoryChart> itemsChart(List<Report.Row> rows, String title) {
    Set<String> workloads = new LinkedHashSet<>();
    Set<String> contenders = new LinkedHashSet<>();
    for (Report.Row row : rows) {
      if (row.vsLimit().isPresent()) {
        workloads.add(row.workload());
        contenders.add(row.contender());
      }
    }
    if (workloads.isEmpty()) {
      return Optional.empty();
    }
    CategoryChart chart = style(new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle("workload").yAxisTitle("items/s as a share of the physical limit").build());
    chart.getStyler().setYAxisDecimalPattern("0.00");
    List<String> xs = new ArrayList<>(workloads);
    for (String contender : contenders) {
      List<Double> ys = new ArrayList<>();
      for (String workload : xs) {
        ys.add(rows.stream().filter(r -> r.workload().equals(workload) && r.contender().equals(contender))
            .filter(r -> r.vsLimit().isPresent())
            .mapToDouble(r -> r.vsLimit().getAsDouble()).findFirst().orElse(0));
      }
      chart.addSeries(contender, xs, ys);
    }
    return Optional.of(chart);
  }

  /** Per contender (with its jobs/s), p50 and p99 of the burst and of one job on the idle system. */
  private static CategoryChart latencyChart(List<Report.Row> rows, List<Report.LatencyRow> latencies) {
    CategoryChart chart = style(new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
        .title("many-jobs: tiny jobs' latency, taken to finished (lower is better)")
        .xAxisTitle("contender (jobs/s of the burst)").yAxisTitle("milliseconds").build());
    chart.getStyler().setYAxisDecimalPattern("#,##0");
    List<String> contenders = latencies.stream().map(Report.LatencyRow::contender).distinct().toList();
    List<String> xs = contenders.stream().map(contender -> contender + rows.stream()
        .filter(r -> r.workload().equals(ManyJobs.NAME) && r.contender().equals(contender)).findFirst()
        .map(r -> String.format(Locale.ROOT, " (%s jobs/s)", Report.rate(r.itemsPerSecond()))).orElse(""))
        .toList();
    for (String workload : List.of(ManyJobs.NAME, ManyJobs.ONE_JOB)) {
      for (String percentile : List.of("p50", "p99")) {
        List<Double> ys = new ArrayList<>();
        for (String contender : contenders) {
          ys.add(latencies.stream().filter(l -> l.workload().equals(workload) && l.contender().equals(contender)
              && l.measure().equals(Report.IN_SYSTEM)).findFirst()
              .map(l -> percentile.equals("p50") ? l.percentiles().p50() : l.percentiles().p99()).orElse(0.0));
        }
        chart.addSeries((workload.equals(ManyJobs.NAME) ? "burst " : "one job idle ") + percentile, xs, ys);
      }
    }
    return chart;
  }

  private static CategoryChart style(CategoryChart chart) {
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setAvailableSpaceFill(0.8);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    return chart;
  }
}
