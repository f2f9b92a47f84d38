import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small load driver for the coordinator's HTTP API, JDK only (issue 10's many-jobs figures until `bin/baton bench
 * many-jobs` has them): posts N tiny jobs (range 1..10, sha256) from C concurrent clients, waits until every one
 * ended, and prints jobs/s (first POST to the last finishedAt) and the percentiles of finishedAt - submittedAt.
 * With --gap MS the jobs go one at a time, each after the one before ended plus MS ms (latency on an idle cluster).
 *
 *   java bench/tools/JobsLoad.java http://127.0.0.1:8551/api [--jobs 300] [--clients 8] [--gap MS]
 */
public final class JobsLoad {
  private static final String SPEC = "name = tiny\ninput.range { from = 1, to = 10 }\nstages = [ { op = sha256 } ]\n";
  private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");

  public static void main(String[] args) throws Exception {
    String api = args[0];
    int jobs = 300;
    int clients = 8;
    long gap = -1;
    for (int i = 1; i < args.length; i += 2) {
      switch (args[i]) {
        case "--jobs" -> jobs = Integer.parseInt(args[i + 1]);
        case "--clients" -> clients = Integer.parseInt(args[i + 1]);
        case "--gap" -> gap = Long.parseLong(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    List<String> ids = Collections.synchronizedList(new ArrayList<>());
    Instant firstPost = Instant.now();
    if (gap >= 0) {
      for (int i = 0; i < jobs; i++) {
        String id = post(api);
        ids.add(id);
        while (!field(get(api + "/jobs/" + id), "finishedAt").startsWith("2")) {
          Thread.sleep(5);
        }
        Thread.sleep(gap);
      }
    } else {
      ExecutorService pool = Executors.newFixedThreadPool(clients, task -> {
        // Daemons: a failed POST ends the driver instead of leaving the other clients' threads behind.
        Thread thread = new Thread(task);
        thread.setDaemon(true);
        return thread;
      });
      List<Future<?>> posts = new ArrayList<>();
      int perClient = jobs / clients;
      for (int c = 0; c < clients; c++) {
        int mine = perClient + (c < jobs % clients ? 1 : 0);
        posts.add(pool.submit(() -> {
          for (int i = 0; i < mine; i++) {
            ids.add(post(api));
          }
          return null;
        }));
      }
      for (Future<?> f : posts) {
        f.get();
      }
      pool.shutdown();
    }
    Instant lastPost = Instant.now();
    Map<String, String> ended = new ConcurrentHashMap<>();
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (ended.size() < ids.size()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("only " + ended.size() + " of " + ids.size() + " jobs ended in 5 min");
      }
      for (String id : ids) {
        if (!ended.containsKey(id)) {
          String status = get(api + "/jobs/" + id);
          if (field(status, "finishedAt").startsWith("2")) {
            ended.put(id, status);
          } else {
            break;
          }
        }
      }
      Thread.sleep(50);
    }
    List<Long> latencies = new ArrayList<>();
    Instant lastEnd = Instant.EPOCH;
    int failed = 0;
    for (String status : ended.values()) {
      Instant submitted = Instant.parse(field(status, "submittedAt"));
      Instant finished = Instant.parse(field(status, "finishedAt"));
      if (!"SUCCEEDED".equals(field(status, "state"))) {
        failed++;
      }
      latencies.add(Duration.between(submitted, finished).toMillis());
      lastEnd = finished.isAfter(lastEnd) ? finished : lastEnd;
    }
    Collections.sort(latencies);
    double seconds = Duration.between(firstPost, lastEnd).toNanos() / 1e9;
    System.out.printf("jobs %d, clients %d%s: %.1f jobs/s (%.2f s first POST to last finishedAt; posting took %.2f s)"
            + "; not SUCCEEDED %d; latency ms p50 %d, p90 %d, p99 %d, max %d%n",
        ids.size(), gap >= 0 ? 1 : clients, gap >= 0 ? ", one at a time, gap " + gap + " ms" : "",
        gap >= 0 ? Double.NaN : ids.size() / seconds, seconds,
        Duration.between(firstPost, lastPost).toNanos() / 1e9, failed,
        pct(latencies, 50), pct(latencies, 90), pct(latencies, 99), latencies.get(latencies.size() - 1));
  }

  private static long pct(List<Long> sorted, int p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  private static String field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\"([^\"]*)\"|null)").matcher(json);
    return m.find() && m.group(2) != null ? m.group(2) : "";
  }

  private static String post(String api) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(api + "/jobs?name=tiny.conf").toURL().openConnection();
    c.setRequestMethod("POST");
    c.setDoOutput(true);
    try (OutputStream out = c.getOutputStream()) {
      out.write(SPEC.getBytes(StandardCharsets.UTF_8));
    }
    String body = read(c);
    if (c.getResponseCode() / 100 != 2) {
      throw new IOException("POST answered " + c.getResponseCode() + ": " + body);
    }
    Matcher m = ID.matcher(body);
    if (!m.find()) {
      throw new IOException("no id in " + body);
    }
    return m.group(1);
  }

  private static String get(String url) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
    return read(c);
  }

  private static String read(HttpURLConnection c) throws IOException {
    InputStream in = c.getResponseCode() >= 400 ? c.getErrorStream() : c.getInputStream();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (in != null) {
      try (in) {
        in.transferTo(body);
      }
    }
    return body.toString(StandardCharsets.UTF_8);
  }
}
