package baton.coordinator.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text format (0.0.4), for tests: every line is a {@code # HELP}/{@code # TYPE}
 * comment or a sample {@code name{label="value",...} value}; anything else fails the test with the line.
 */
public final class PrometheusText {

  /** One sample line. */
  public record Sample(String name, Map<String, String> labels, double value) {
  }

  private static final Pattern SAMPLE =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? ([^ ]+)(?: -?[0-9]+)?");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"(,|$)");
  private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) "
      + "(counter|gauge|histogram|summary|untyped)");

  private final List<Sample> samples = new ArrayList<>();
  private final Map<String, String> types = new LinkedHashMap<>();

  private PrometheusText() {
  }

  /** Reads a scrape; throws AssertionError naming the first line that is not in the format. */
  public static PrometheusText parse(String text) {
    PrometheusText parsed = new PrometheusText();
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.startsWith("# HELP ")) {
        continue;
      }
      if (line.startsWith("#")) {
        Matcher type = TYPE.matcher(line);
        if (!type.matches()) {
          throw new AssertionError("not a TYPE line: " + line);
        }
        parsed.types.put(type.group(1), type.group(2));
        continue;
      }
      Matcher sample = SAMPLE.matcher(line);
      if (!sample.matches()) {
        throw new AssertionError("not a sample line: " + line);
      }
      parsed.samples.add(new Sample(sample.group(1), labels(sample.group(2), line), value(sample.group(3), line)));
    }
    return parsed;
  }

  private static Map<String, String> labels(String text, String line) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (text == null || text.isEmpty()) {
      return labels;
    }
    Matcher label = LABEL.matcher(text);
    int at = 0;
    while (at < text.length()) {
      if (!label.find(at) || label.start() != at) {
        throw new AssertionError("bad labels at " + at + ": " + line);
      }
      String value = label.group(2).replace("\\\"", "\"").replace("\\n", "\n").replace("\\\\", "\\");
      if (labels.put(label.group(1), value) != null) {
        throw new AssertionError("label " + label.group(1) + " twice: " + line);
      }
      at = label.end();
    }
    return labels;
  }

  private static double value(String text, String line) {
    switch (text) {
      case "+Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      case "NaN":
        return Double.NaN;
      default:
        try {
          return Double.parseDouble(text);
        } catch (NumberFormatException e) {
          throw new AssertionError("bad value: " + line, e);
        }
    }
  }

  public List<Sample> samples() {
    return samples;
  }

  /** The type a {@code # TYPE} line gave the metric family, or null. */
  public String type(String family) {
    return types.get(family);
  }

  /** The samples of one name. */
  public List<Sample> named(String name) {
    return samples.stream().filter(sample -> sample.name().equals(name)).toList();
  }

  /** The value of the one sample with this name and these labels (and maybe others); fails if not exactly one. */
  public double value(String name, Map<String, String> labels) {
    List<Sample> found = named(name).stream()
        .filter(sample -> sample.labels().entrySet().containsAll(labels.entrySet())).toList();
    if (found.size() != 1) {
      throw new AssertionError(found.size() + " samples " + name + labels + " in the scrape, not 1: " + found);
    }
    return found.get(0).value();
  }

  /** The sum of the samples with this name and these labels; 0 when there is none. */
  public double sum(String name, Map<String, String> labels) {
    return named(name).stream().filter(sample -> sample.labels().entrySet().containsAll(labels.entrySet()))
        .mapToDouble(Sample::value).sum();
  }
}
