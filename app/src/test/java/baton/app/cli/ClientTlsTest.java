package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import baton.coordinator.http.ApiServer;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Client commands with and without {@code --tls} against an API served over HTTPS with a cluster CA's certificate. */
final class ClientTlsTest {

  @TempDir
  Path dir;

  private HttpServer server;
  private Path member;
  private String url;

  @BeforeEach
  void serveHttps() throws Exception {
    assumeTrue(System.getenv("BATON_TLS") == null && System.getenv("BATON_TOKEN") == null,
        "BATON_TLS or BATON_TOKEN is set in this environment");
    Path ca = dir.resolve("ca");
    member = dir.resolve("member");
    assertEquals(0, Cli.run("certs", "init", ca.toString()).code());
    assertEquals(0, Cli.run("certs", "issue", ca.toString(), "coordinator", "--out", dir.resolve("coordinator")
        .toString()).code());
    assertEquals(0, Cli.run("certs", "issue", ca.toString(), "member", "--out", member.toString()).code());
    server = start(dir.resolve("coordinator"));
    url = "127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  @Test
  void nodes_tlsFolderOfTheCluster_answersOverHttps() {
    Cli.Run run = Cli.run("nodes", "--json", "--coordinator", url, "--tls", member.toString());

    assertEquals(0, run.code(), run.toString());
    assertEquals("[]", run.out().strip());
  }

  @Test
  void nodes_httpsUrlWithTlsFolder_answers() {
    Cli.Run run = Cli.run("nodes", "--json", "--coordinator", "https://" + url, "--tls", member.toString());

    assertEquals(0, run.code(), run.toString());
  }

  @Test
  void nodes_noTlsAgainstHttps_oneClearLineExit2() {
    Cli.Run run = Cli.run("nodes", "--coordinator", url);

    assertOneClearLine(run, "serves HTTPS when started with --tls; give --tls DIR");
  }

  @Test
  void nodes_httpsUrlWithoutTlsFolder_oneClearLineExit2() {
    Cli.Run run = Cli.run("nodes", "--coordinator", "https://" + url);

    assertOneClearLine(run, "not from a CA this client trusts: give --tls DIR");
  }

  @Test
  void nodes_tlsFolderOfAnotherCa_oneClearLineExit2() {
    assertEquals(0, Cli.run("certs", "init", dir.resolve("other-ca").toString()).code());
    Path other = dir.resolve("other");
    assertEquals(0, Cli.run("certs", "issue", dir.resolve("other-ca").toString(), "other", "--out", other.toString())
        .code());

    Cli.Run run = Cli.run("nodes", "--coordinator", url, "--tls", other.toString());

    assertOneClearLine(run, "not from the CA in the --tls folder");
  }

  @Test
  void nodes_tlsAgainstPlainHttp_oneClearLineExit2() {
    // The coordinator's own API (pekko-http), plain: it answers a TLS hello with a plain HTTP 400.
    try (ApiServer plain = new ApiServer(Map.of(), dir.resolve("logs"))) {
      Cli.Run run = Cli.run("nodes", "--coordinator", "127.0.0.1:" + plain.base.getPort(), "--tls",
          member.toString());

      assertOneClearLine(run, "does not speak HTTPS: it was started without --tls");
    }
  }

  @Test
  void nodes_certificateNotNamingTheAddress_oneClearLineExit2() throws Exception {
    assertEquals(0, Cli.run("certs", "issue", dir.resolve("ca").toString(), "elsewhere", "--host", "localhost",
        "--out", dir.resolve("elsewhere").toString()).code());
    HttpServer elsewhere = start(dir.resolve("elsewhere"));
    try {
      Cli.Run run = Cli.run("nodes", "--coordinator", "127.0.0.1:" + elsewhere.getAddress().getPort(), "--tls",
          member.toString());

      assertOneClearLine(run, "certificate that does not name 127.0.0.1");
    } finally {
      elsewhere.stop(0);
    }
  }

  @Test
  void nodes_tlsPasswordWrong_oneClearLineExit2() throws Exception {
    Files.writeString(member.resolve("password"), "wrong\n");

    Cli.Run run = Cli.run("nodes", "--coordinator", url, "--tls", member.toString());

    assertOneClearLine(run, "the password in " + member.resolve("password") + " does not open");
  }

  @Test
  void nodes_tlsFolderMissing_oneClearLineExit2() {
    Cli.Run run = Cli.run("nodes", "--coordinator", url, "--tls", dir.resolve("nope").toString());

    assertOneClearLine(run, "no such folder");
  }

  private static void assertOneClearLine(Cli.Run run, String words) {
    assertEquals(2, run.code(), run.toString());
    assertEquals(1, run.err().strip().lines().count(), run.toString());
    assertTrue(run.err().contains(words), run.toString());
    assertFalse(run.err().contains("Exception") || run.err().contains("\tat "), run.toString());
  }

  /** An API that answers {@code GET /api/nodes} with no members, over HTTPS with the folder's key. */
  private static HttpServer start(Path folder) throws Exception {
    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    KeyStore keys = KeyStore.getInstance("PKCS12");
    char[] password = Files.readString(folder.resolve("password")).strip().toCharArray();
    try (InputStream in = Files.newInputStream(folder.resolve("keystore.p12"))) {
      keys.load(in, password);
    }
    KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    factory.init(keys, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(factory.getKeyManagers(), null, null);
    HttpsServer server = HttpsServer.create(address, 0);
    server.setHttpsConfigurator(new HttpsConfigurator(context));
    server.createContext("/api/nodes", exchange -> {
      byte[] body = "[]".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    return server;
  }
}
