package baton.app.tls;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.app.cli.Cli;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509KeyManager;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster transport's TLS engines, in memory: a handshake they refuse is reported in one line that says why,
 * including the refusals the JDK's own client never provokes (it offers no key of a CA the server does not trust).
 */
final class BatonSslEngineProviderTest {

  @TempDir
  Path dir;

  private ActorTestKit testKit;
  private BatonSslEngineProvider provider;
  private TestProbe<TlsRefusals.Refused> refusals;

  @BeforeEach
  void start() throws Exception {
    Cli.run("certs", "init", dir.resolve("ca").toString());
    Cli.run("certs", "issue", dir.resolve("ca").toString(), "member", "--out", dir.resolve("member").toString());
    Cli.run("certs", "init", dir.resolve("other-ca").toString());
    Cli.run("certs", "issue", dir.resolve("other-ca").toString(), "intruder", "--out",
        dir.resolve("intruder").toString());
    Config config = TlsFolder.member(dir.resolve("member")).clusterConfig(ConfigFactory.load());
    testKit = ActorTestKit.create("tls", config);
    refusals = testKit.createTestProbe();
    testKit.system().eventStream().tell(new EventStream.Subscribe<>(TlsRefusals.Refused.class, refusals.ref()));
    provider = new BatonSslEngineProvider(Adapter.toClassic(testKit.system()));
  }

  @AfterEach
  void stop() {
    if (testKit != null) {
      testKit.shutdownTestKit();
    }
  }

  @Test
  void serverEngine_peerInsistsOnAnotherCasCertificate_refusedAndTheReportNamesIt() throws Exception {
    SSLEngine server = provider.createServerSSLEngine("127.0.0.1", 2551);
    SSLEngine intruder = insistingClient(dir.resolve("intruder"));

    assertThrows(SSLException.class, () -> handshake(intruder, server));

    String line = refusals.expectMessageClass(TlsRefusals.Refused.class, Duration.ofSeconds(5)).line();
    assertTrue(line.startsWith("refused an incoming cluster connection from the holder of certificate "
        + "'CN=intruder,O=Baton' issued by 'CN=Baton cluster CA"), line);
    assertTrue(line.endsWith("it is not signed by this cluster's CA (another CA's certificate, or a self-made one)"),
        line);
  }

  @Test
  void serverEngine_plainBytes_refusedAsNotTls() throws Exception {
    SSLEngine server = provider.createServerSSLEngine("127.0.0.1", 2551);
    server.beginHandshake();
    ByteBuffer plain = ByteBuffer.wrap("AKKA plain artery frame".getBytes(StandardCharsets.US_ASCII));

    assertThrows(SSLException.class, () -> server.unwrap(plain, ByteBuffer.allocate(64 * 1024)));

    String line = refusals.expectMessageClass(TlsRefusals.Refused.class, Duration.ofSeconds(5)).line();
    assertTrue(line.startsWith("refused an incoming cluster connection: the peer does not speak TLS"), line);
  }

  @Test
  void clientEngine_serverOfAnotherCa_refusedAndTheReportNamesAddressAndCertificate() throws Exception {
    SSLEngine client = provider.createClientSSLEngine("127.0.0.1", 2551);
    SSLEngine foreignServer = insistingServer(dir.resolve("intruder"));

    assertThrows(SSLException.class, () -> handshake(client, foreignServer));

    String line = refusals.expectMessageClass(TlsRefusals.Refused.class, Duration.ofSeconds(5)).line();
    assertTrue(line.startsWith("refused the connection to the cluster member at 127.0.0.1:2551: its certificate "
        + "'CN=intruder,O=Baton'"), line);
    assertTrue(line.contains("not signed by this cluster's CA"), line);
    refusals.expectNoMessage(Duration.ofMillis(200));
  }

  /** Runs a handshake between two engines in memory until both are done, or one throws. */
  private static void handshake(SSLEngine client, SSLEngine server) throws Exception {
    ByteBuffer toServer = ByteBuffer.allocate(64 * 1024);
    ByteBuffer toClient = ByteBuffer.allocate(64 * 1024);
    client.beginHandshake();
    server.beginHandshake();
    for (int i = 0; i < 200; i++) {
      step(client, toClient, toServer);
      step(server, toServer, toClient);
      if (done(client) && done(server)) {
        return;
      }
    }
    throw new AssertionError("the handshake neither finished nor failed");
  }

  private static boolean done(SSLEngine engine) {
    return engine.getHandshakeStatus() == javax.net.ssl.SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING
        || engine.getHandshakeStatus() == javax.net.ssl.SSLEngineResult.HandshakeStatus.FINISHED;
  }

  private static void step(SSLEngine engine, ByteBuffer in, ByteBuffer out) throws Exception {
    switch (engine.getHandshakeStatus()) {
      case NEED_WRAP -> engine.wrap(ByteBuffer.allocate(0), out);
      case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
        in.flip();
        engine.unwrap(in, ByteBuffer.allocate(64 * 1024));
        in.compact();
      }
      case NEED_TASK -> {
        for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
          task.run();
        }
      }
      default -> {
      }
    }
  }

  /** A client that shows its folder's certificate whatever CAs the server asks for, and trusts any server. */
  private static SSLEngine insistingClient(Path folder) throws Exception {
    SSLEngine engine = context(folder).createSSLEngine("127.0.0.1", 2551);
    engine.setUseClientMode(true);
    return engine;
  }

  private static SSLEngine insistingServer(Path folder) throws Exception {
    SSLEngine engine = context(folder).createSSLEngine();
    engine.setUseClientMode(false);
    engine.setNeedClientAuth(true);
    return engine;
  }

  private static SSLContext context(Path folder) throws Exception {
    char[] password = Files.readString(folder.resolve("password")).strip().toCharArray();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(folder.resolve("keystore.p12"))) {
      keys.load(in, password);
    }
    KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    factory.init(keys, password);
    X509KeyManager own = (X509KeyManager) factory.getKeyManagers()[0];
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(new KeyManager[] {new Insisting(own)}, new TrustManager[] {new TrustingAll()}, null);
    return context;
  }

  private static final class Insisting extends X509ExtendedKeyManager {
    private final X509KeyManager keys;

    Insisting(X509KeyManager keys) {
      this.keys = keys;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return "member";
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return "member";
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {"member"};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return "member";
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return new String[] {"member"};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return "member";
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return keys.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return keys.getPrivateKey(alias);
    }
  }

  private static final class TrustingAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
