package baton.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: Debian's chromium, driven through its chromedriver by Selenium, against a
 * coordinator process (with a local worker pool and a token) on free loopback ports. It types the token into the
 * page's prompt, watches a job's progress bar reach 100% and SUCCEEDED, cancels a job with the Cancel button, and
 * finds a failed item's reason on its job's page; it saves screenshots in target/screenshots (the README's come from
 * there). Without the browser it skips, unless CI=true, where it fails.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
final class DashboardIT {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final String TOKEN = "dashboard-it-token";
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path dir;

  static BatonProcesses processes;
  static int httpPort;
  static WebDriver browser;
  static Path screenshots;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      String missing = "no " + (Files.isExecutable(CHROMIUM) ? CHROMEDRIVER : CHROMIUM)
          + ": apt-get install -y chromium chromium-driver";
      if ("true".equals(System.getenv("CI"))) {
        fail(missing);
      }
      Assumptions.abort(missing);
    }
    screenshots = Path.of("target", "screenshots").toAbsolutePath();
    Files.createDirectories(screenshots);
    processes = new BatonProcesses(dir);
    httpPort = BatonProcesses.freePort();
    processes.startWith("coordinator", List.of("-Dbaton.http.token=" + TOKEN), "coordinator",
        "--port", Integer.toString(BatonProcesses.freePort()), "--http-port", Integer.toString(httpPort),
        "--log-dir", dir.resolve("logs").toString(), "--data-dir", dir.resolve("data").toString(),
        "--workers", "2");
    processes.awaitApi(httpPort, "/", page -> page.contains("app.js"), WAIT);

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1400,1000");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .withLogFile(dir.resolve("chromedriver.log").toFile())
        .build();
    browser = new ChromeDriver(service, options);

    // A job that runs throughout, so that the jobs table shows one running.
    submit("name = backfill\ninput.range { from = 1, to = 1000000 }\n"
        + "stages = [ { op = delay, millis = 50, parallelism = 50 }, { op = sha256, rounds = 10 } ]\n");

    browser.get("http://127.0.0.1:" + httpPort + "/");
    // The API answers 401 without the token: the page asks for it, and keeps it for the tab.
    WebElement input = waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("token-input")));
    input.sendKeys(TOKEN);
    browser.findElement(By.cssSelector("#token-form button")).click();
    waitFor().until(ExpectedConditions.textToBe(By.id("live"), "live"));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (browser != null) {
        browser.quit();
      }
    } finally {
      if (processes != null) {
        processes.close();
      }
    }
  }

  @Test
  @Order(1)
  void jobsTable_jobRuns_progressBarReaches100AndStateSucceeded() throws Exception {
    open("#/");
    String id = submit("name = checksums\ninput.range { from = 1, to = 3000 }\n"
        + "stages = [ { op = delay, millis = 200, parallelism = 200 }, { op = sha256, rounds = 200 } ]\n");
    By row = By.cssSelector("tr[data-id='" + id + "']");

    WebElement job = waitFor().until(ExpectedConditions.presenceOfElementLocated(row));
    waitFor().until(driver -> "100".equals(progress(job).getDomAttribute("data-percent"))
        && job.findElement(By.cssSelector(".state")).getText().equals("SUCCEEDED"));

    assertEquals("100%", progress(job).getText());
    assertEquals("3,000 / 3,000", job.findElement(By.cssSelector(".items")).getText());
    assertEquals("SUCCEEDED", status(id).get("state").asText());

    job.findElement(By.cssSelector("a")).click();
    waitFor().until(ExpectedConditions.textToBe(By.id("job-id"), id));
    assertEquals("SUCCEEDED", browser.findElement(By.id("job-state")).getText());
    assertEquals("100", browser.findElement(By.id("job-progress")).getDomAttribute("data-percent"));
    // The cpu stage ran on the local worker pool, the node list says so.
    waitFor().until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#job-nodes-body tr"), 1));
    assertTrue(browser.findElement(By.id("cancel-button")).getDomAttribute("hidden") != null,
        "no Cancel button on an ended job");
  }

  // Third, so that its screenshot of the jobs table shows the jobs of the two before it too.
  @Test
  @Order(3)
  void jobPage_cancelButton_jobCancelled() throws Exception {
    String id = submit("name = long\ninput.range { from = 1, to = 4 }\n"
        + "stages = [ { op = delay, millis = 600000 } ]\n");
    open("#/job/" + id);
    waitFor().until(ExpectedConditions.textToBe(By.id("job-state"), "RUNNING"));

    waitFor().until(ExpectedConditions.elementToBeClickable(By.id("cancel-button"))).click();

    waitFor().until(ExpectedConditions.textToBe(By.id("job-state"), "CANCELLED"));
    assertEquals("CANCELLED", status(id).get("state").asText());
    waitFor().until(ExpectedConditions.invisibilityOfElementLocated(By.id("cancel-button")));
    open("#/");
    waitFor().until(ExpectedConditions.textToBe(By.cssSelector("tr[data-id='" + id + "'] .state"), "CANCELLED"));
    // Cancelled before any of its items was done, its bar stays empty: items not run are not progress.
    assertEquals("0", progress(browser.findElement(By.cssSelector("tr[data-id='" + id + "']")))
        .getDomAttribute("data-percent"));
    screenshot("dashboard-jobs.png", 470);
  }

  @Test
  @Order(2)
  void jobPage_failedItem_reasonShown() throws Exception {
    Files.writeString(dir.resolve("present.txt"), "here\n");
    Files.writeString(dir.resolve("keys.txt"), "present.txt\nmissing-7.txt\npresent.txt\n");
    String id = submit("name = reads\ninput.lines = \"keys.txt\"\nmax-failed-items = 5\n"
        + "stages = [ { op = read-file }, { op = sha256 } ]\n");
    open("#/job/" + id);
    waitFor().until(ExpectedConditions.textToBe(By.id("job-id"), id));

    // The reason is in the failures table or, where the coordinator has no failures list, in the log tail.
    waitFor().until(driver -> shows(driver, "failures-body") || shows(driver, "log-tail"));
    waitFor().until(ExpectedConditions.textToBe(By.id("job-state"), "SUCCEEDED"));
    JsonNode items = status(id).get("items");
    assertEquals(1, items.get("failed").asLong(), items.toString());
    assertEquals(2, items.get("succeeded").asLong(), items.toString());
    screenshot("dashboard-job.png", 1250);
  }

  // Last, so that the screenshots of the other tests show a few jobs, not a thousand.
  @Test
  @Order(Integer.MAX_VALUE)
  void jobsTable_aThousandJobs_oneHundredRowsAPageAndTheFilterFindsOne() throws Exception {
    open("#/");
    List<CompletableFuture<String>> submitted = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      submitted.add(submitAsync("name = " + (i == 500 ? "needle" : "bulk") + "\ninput.range { from = 1, to = 2 }\n"
          + "stages = [ { op = delay, millis = 1 } ]\n"));
      if (submitted.size() % 50 == 0) {
        // Fifty at a time: a thousand connections at once would be more than a server takes.
        CompletableFuture.allOf(submitted.toArray(CompletableFuture[]::new)).get(1, TimeUnit.MINUTES);
      }
    }
    String needle = submitted.get(500).get();

    waitFor().until(driver -> jobCount(driver) >= 1000);
    assertEquals(100, browser.findElements(By.cssSelector("#jobs-body tr")).size());
    browser.findElement(By.id("filter")).sendKeys("needle");
    waitFor().until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#jobs-body tr"), 1));
    assertEquals(needle, browser.findElement(By.cssSelector("#jobs-body tr")).getDomAttribute("data-id"));
    browser.findElement(By.id("filter")).clear();
    browser.findElement(By.id("filter")).sendKeys(" ");
    waitFor().until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#jobs-body tr"), 100));
  }

  private static int jobCount(WebDriver driver) {
    String counts = driver.findElement(By.id("job-counts")).getText();
    return counts.isEmpty() ? 0 : Integer.parseInt(counts.substring(0, counts.indexOf(' ')));
  }

  @Test
  void nodesPage_localWorkers_listedUpWithTheirWorkers() {
    open("#/nodes");

    // The coordinator's own worker pool (--workers 2): before the fix its workers showed as 0, its address being
    // the local one rather than the cluster member's.
    waitFor().until(ExpectedConditions.textToBe(By.cssSelector("#nodes-body tr td:nth-child(4)"), "2"));
    List<WebElement> cells = browser.findElements(By.cssSelector("#nodes-body tr td"));
    assertEquals("Up", cells.get(2).getText());
    assertTrue(cells.get(0).getText().startsWith("pekko://baton@127.0.0.1:"), cells.get(0).getText());
  }

  /** Whether the element names the failed item and why it failed. */
  private static boolean shows(WebDriver driver, String id) {
    String text = driver.findElement(By.id(id)).getText();
    return text.contains("missing-7.txt") && text.contains("no such file");
  }

  private static void open(String hash) {
    browser.get("http://127.0.0.1:" + httpPort + "/" + hash);
  }

  private static WebDriverWait waitFor() {
    return new WebDriverWait(browser, WAIT);
  }

  private static WebElement progress(WebElement row) {
    return row.findElement(By.cssSelector(".progress"));
  }

  /** Saves what the window shows, at this height, in target/screenshots. */
  private static void screenshot(String name, int height) throws Exception {
    browser.manage().window().setSize(new Dimension(1400, height));
    try {
      File shot = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE);
      Files.copy(shot.toPath(), screenshots.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } finally {
      browser.manage().window().setSize(new Dimension(1400, 1000));
    }
  }

  private static String submit(String spec) throws Exception {
    return submitAsync(spec).get(1, TimeUnit.MINUTES);
  }

  private static CompletableFuture<String> submitAsync(String spec) {
    return HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
            + "/api/jobs?name=spec.conf&dir=" + URLEncoder.encode(dir.toString(), StandardCharsets.UTF_8)))
        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "text/plain; charset=utf-8")
        .POST(HttpRequest.BodyPublishers.ofString(spec)).timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
          assertEquals(201, response.statusCode(), response.body());
          try {
            return JSON.readTree(response.body()).get("id").asText();
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }

  private static JsonNode status(String id) throws Exception {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + httpPort + "/api/jobs/" + id))
        .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }
}
