package baton.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** The bench's chart: per workload, each contender's items per second as a share of the physical limit. */
final class Chart {

  private Chart() {
  }

  static void write(List<Report.Row> rows, String title, Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    CategoryChart chart = new CategoryChartBuilder().width(1000).height(520).title(title)
        .xAxisTitle("workload").yAxisTitle("items/s as a share of the physical limit").build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setYAxisDecimalPattern("0.00");
    chart.getStyler().setAvailableSpaceFill(0.8);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    Set<String> workloads = new LinkedHashSet<>();
    Set<String> contenders = new LinkedHashSet<>();
    for (Report.Row row : rows) {
      if (row.vsLimit().isPresent()) {
        workloads.add(row.workload());
        contenders.add(row.contender());
      }
    }
    if (workloads.isEmpty()) {
      return;
    }
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
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
