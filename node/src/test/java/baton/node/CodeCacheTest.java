package baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.op.CpuOp;
import baton.protocol.op.OpRegistry;
import baton.protocol.spec.OpRef;
import baton.protocol.wire.BatchStarted;
import baton.protocol.wire.CodeChunk;
import baton.protocol.wire.CodeRequest;
import baton.protocol.wire.Item;
import baton.protocol.wire.JobEnded;
import baton.protocol.wire.WorkBatch;
import baton.protocol.wire.WorkResult;
import baton.protocol.wire.WorkResult.ItemResult;
import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.tools.ToolProvider;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's cache of job code: fetched once per hash, in chunks, checked against its hash; a class loader per job,
 * dropped when the job ends.
 */
@ExtendWith(TestKitJUnit5Extension.class)
final class CodeCacheTest {

  @JUnit5TestKit
  ActorTestKit testKit = ActorTestKit.create();

  @TempDir
  Path dir;

  @Test
  void get_twiceForOneHash_fetchedOnceInChunksAndItsOpRuns() throws Exception {
    byte[] bundle = compiledOp("v1");
    String hash = sha256(bundle);
    TestProbe<CodeRequest> server = serve();
    OpRegistry base = OpRegistry.load(getClass().getClassLoader(), ConfigFactory.load());
    ActorRef<CodeCache.Command> cache = testKit.spawn(CodeCache.create(base,
        settings()));
    TestProbe<CodeCache.Loaded> first = testKit.createTestProbe();
    TestProbe<CodeCache.Loaded> second = testKit.createTestProbe();

    cache.tell(new CodeCache.Get("job-1", hash, first.getRef()));
    cache.tell(new CodeCache.Get("job-1", hash, second.getRef()));
    int requests = answerInChunks(server, bundle, 100);

    CodeCache.Loaded one = first.receiveMessage(Duration.ofSeconds(20));
    CodeCache.Loaded two = second.receiveMessage(Duration.ofSeconds(20));
    assertNull(one.error());
    assertSame(one.registry(), two.registry());
    assertEquals((bundle.length + 99) / 100, requests, "one request per chunk, for both asks together");
    CpuOp op = one.registry().createCpu(new OpRef("tag", "{}"));
    assertEquals("v1:k", new String(op.apply("k", new byte[0]), StandardCharsets.UTF_8));
    assertTrue(one.registry().loader() != base.loader(), "a class loader of the job's own");
    TestProbe<CodeCache.Loaded> third = testKit.createTestProbe();
    cache.tell(new CodeCache.Get("job-1", hash, third.getRef()));
    assertSame(one.registry(), third.receiveMessage().registry());
    server.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void get_bytesThatDoNotMatchTheHash_errorAndNoRegistry() throws Exception {
    byte[] bundle = compiledOp("v1");
    String hash = sha256(compiledOp("v2"));
    TestProbe<CodeRequest> server = serve();
    ActorRef<CodeCache.Command> cache = testKit.spawn(CodeCache.create(
        OpRegistry.load(getClass().getClassLoader(), ConfigFactory.load()),
        settings()));
    TestProbe<CodeCache.Loaded> asker = testKit.createTestProbe();

    cache.tell(new CodeCache.Get("job-1", hash, asker.getRef()));
    CodeRequest request = server.receiveMessage(Duration.ofSeconds(20));
    request.replyTo().tell(new CodeChunk(hash, 0, bundle.length, bundle, null));

    CodeCache.Loaded loaded = asker.receiveMessage(Duration.ofSeconds(20));
    assertNull(loaded.registry());
    assertTrue(loaded.error().contains("other bytes than its hash"), loaded.error());
  }

  @Test
  void get_twoJobsWithOneBundle_fetchedOnceEachJobItsOwnLoader() throws Exception {
    byte[] bundle = compiledOp("v1");
    String hash = sha256(bundle);
    TestProbe<CodeRequest> server = serve();
    ActorRef<CodeCache.Command> cache = testKit.spawn(CodeCache.create(
        OpRegistry.load(getClass().getClassLoader(), ConfigFactory.load()), settings()));
    TestProbe<CodeCache.Loaded> a = testKit.createTestProbe();
    TestProbe<CodeCache.Loaded> b = testKit.createTestProbe();

    cache.tell(new CodeCache.Get("job-a", hash, a.getRef()));
    cache.tell(new CodeCache.Get("job-b", hash, b.getRef()));
    int requests = answerInChunks(server, bundle, 100);

    CodeCache.Loaded forA = a.receiveMessage(Duration.ofSeconds(20));
    CodeCache.Loaded forB = b.receiveMessage(Duration.ofSeconds(20));
    assertNull(forA.error());
    assertNull(forB.error());
    assertEquals((bundle.length + 99) / 100, requests, "the bundle's bytes come once, for both jobs");
    assertNotSame(forA.registry().loader(), forB.registry().loader(), "a class loader of each job's own");
    for (CodeCache.Loaded loaded : List.of(forA, forB)) {
      CpuOp op = loaded.registry().createCpu(new OpRef("tag", "{}"));
      assertEquals("v1:k", new String(op.apply("k", new byte[0]), StandardCharsets.UTF_8));
    }
    server.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void jobEnded_afterItsBatchesRanOnTheWorkers_itsLoaderIsCollectedAndTheOtherJobRunsOn() throws Exception {
    byte[] bundle = compiledOp("v1");
    String hash = sha256(bundle);
    TestProbe<CodeRequest> server = serve();
    OpRegistry base = OpRegistry.load(getClass().getClassLoader(), ConfigFactory.load());
    ActorRef<CodeCache.Command> cache = testKit.spawn(CodeCache.create(base, settings()));
    ActorRef<WorkBatch> pool = testKit.spawn(pool(base, cache));
    TestProbe<WorkResult> results = testKit.createTestProbe();
    TestProbe<BatchStarted> started = testKit.createTestProbe();
    pool.tell(batch(1, "job-a", hash, results, started));
    answerInChunks(server, bundle, 100);
    assertEquals("v1:1", payload(results.receiveMessage(Duration.ofSeconds(20))));
    pool.tell(batch(2, "job-b", hash, results, started));
    assertEquals("v1:2", payload(results.receiveMessage(Duration.ofSeconds(20))));
    WeakReference<ClassLoader> loaderA = new WeakReference<>(loaderOf(cache, "job-a", hash));
    WeakReference<ClassLoader> loaderB = new WeakReference<>(loaderOf(cache, "job-b", hash));
    assertNotSame(loaderA.get(), loaderB.get(), "a class loader of each job's own");

    nodeCode().tell(new JobEnded("job-a"));

    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(200), () -> {
      System.gc();
      assertNull(loaderA.get(), "job-a's class loader is collected once the job has ended");
      return null;
    });
    assertNotNull(loaderB.get(), "job-b still runs: its loader stays");
    pool.tell(batch(3, "job-b", hash, results, started));
    assertEquals("v1:3", payload(results.receiveMessage(Duration.ofSeconds(20))));
    server.expectNoMessage(Duration.ofMillis(200));
  }

  private static CodeCache.Settings settings() {
    return new CodeCache.Settings(Duration.ofSeconds(20), 4, Duration.ofMinutes(10));
  }

  /** A node's worker pool whose ops of shipped code come from {@code cache}, as {@link Node#start} makes it. */
  private static Behavior<WorkBatch> pool(OpRegistry base, ActorRef<CodeCache.Command> cache) {
    return Behaviors.setup(context -> WorkerPool.create(base, Node.jobOps(cache, settings(), context),
        NodeSettings.from(ConfigFactory.load()).withWorkers(2)));
  }

  private static WorkBatch batch(long number, String jobId, String hash, TestProbe<WorkResult> results,
      TestProbe<BatchStarted> started) {
    return new WorkBatch(number, jobId, 1, new OpRef("tag", "{}", hash), List.of(Item.ofText(Long.toString(number))),
        results.getRef(), started.getRef(), Duration.ofSeconds(20));
  }

  private static String payload(WorkResult result) {
    ItemResult item = result.results().get(0);
    assertNull(item.error(), item.error());
    return new String(item.payload(), StandardCharsets.UTF_8);
  }

  private ClassLoader loaderOf(ActorRef<CodeCache.Command> cache, String jobId, String hash) {
    TestProbe<CodeCache.Loaded> asker = testKit.createTestProbe();
    cache.tell(new CodeCache.Get(jobId, hash, asker.getRef()));
    return asker.receiveMessage(Duration.ofSeconds(20)).registry().loader();
  }

  /** The node's code cache as the coordinator's dispatcher finds it, through the Receptionist. */
  private ActorRef<JobEnded> nodeCode() {
    TestProbe<Receptionist.Listing> listings = testKit.createTestProbe();
    return listings.awaitAssert(Duration.ofSeconds(10), () -> {
      testKit.system().receptionist().tell(Receptionist.find(JobEnded.NODE_CODE, listings.getRef()));
      Set<ActorRef<JobEnded>> found = listings.receiveMessage().getServiceInstances(JobEnded.NODE_CODE);
      assertEquals(1, found.size(), "the node's code cache is registered");
      return found.iterator().next();
    });
  }

  /** A code server in the test's hands, registered as the coordinator's is. */
  private TestProbe<CodeRequest> serve() {
    TestProbe<CodeRequest> server = testKit.createTestProbe();
    TestProbe<Receptionist.Registered> registered = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.register(CodeRequest.SERVER, server.getRef(),
        registered.getRef()));
    registered.receiveMessage();
    return server;
  }

  private static int answerInChunks(TestProbe<CodeRequest> server, byte[] bundle, int size) {
    int requests = 0;
    while (true) {
      CodeRequest request = server.receiveMessage(Duration.ofSeconds(20));
      requests++;
      int from = (int) request.offset();
      int to = Math.min(bundle.length, from + size);
      request.replyTo().tell(new CodeChunk(request.hash(), from, bundle.length,
          Arrays.copyOfRange(bundle, from, to), null));
      if (to == bundle.length) {
        return requests;
      }
    }
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /** A jar with the cpu op {@code tag} ({@code VERSION:key}), compiled here. */
  private byte[] compiledOp(String version) throws Exception {
    Path src = Files.createDirectories(dir.resolve("src-" + version + "/test/tag"));
    Path classes = Files.createDirectories(dir.resolve("classes-" + version));
    Files.writeString(src.resolve("TagOp.java"), """
        package test.tag;

        import baton.protocol.op.CpuOp;
        import baton.protocol.op.Op;
        import baton.protocol.op.OpKind;
        import baton.protocol.op.OpParams;
        import baton.protocol.op.OpProvider;
        import java.nio.charset.StandardCharsets;
        import java.util.Set;

        public final class TagOp implements OpProvider {
          public String name() { return "tag"; }
          public OpKind kind() { return OpKind.CPU; }
          public Set<String> parameters() { return Set.of(); }
          public Op create(OpParams params) {
            return (CpuOp) (key, payload) -> ("VERSION:" + key).getBytes(StandardCharsets.UTF_8);
          }
        }
        """.replace("VERSION", version));
    assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(),
        "-cp", System.getProperty("java.class.path"), src.resolve("TagOp.java").toString()));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes); Stream<Path> files = Files.walk(classes)) {
      for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
        ZipEntry entry = new ZipEntry(classes.relativize(file).toString());
        entry.setTime(0);
        zip.putNextEntry(entry);
        zip.write(Files.readAllBytes(file));
        zip.closeEntry();
      }
      ZipEntry services = new ZipEntry("META-INF/services/baton.protocol.op.OpProvider");
      services.setTime(0);
      zip.putNextEntry(services);
      zip.write("test.tag.TagOp\n".getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
    }
    return bytes.toByteArray();
  }
}
