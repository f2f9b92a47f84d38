package baton.app.tls;

import java.net.Socket;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.X509Certificate;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider;

/**
 * Pekko's {@link ConfigSSLEngineProvider} (key and trust stores from {@code pekko.remote.artery.ssl.config-ssl-engine})
 * that says in one line of Baton's log ({@link TlsRefusals}) which connection it refused and why: Pekko logs nothing
 * when an incoming handshake fails, and the JDK's words ("PKIX path building failed") name neither the peer nor the
 * cluster's CA.
 */
public final class BatonSslEngineProvider extends ConfigSSLEngineProvider {

  private final ActorSystem system;

  public BatonSslEngineProvider(ActorSystem system) {
    super(system);
    this.system = system;
  }

  @Override
  public SSLEngine createServerSSLEngine(String hostname, int port) {
    return new ExplainingSslEngine(super.createServerSSLEngine(hostname, port), "an incoming cluster connection",
        this::report);
  }

  @Override
  public SSLEngine createClientSSLEngine(String hostname, int port) {
    return new ExplainingSslEngine(super.createClientSSLEngine(hostname, port),
        "the connection to the cluster member at " + hostname + ":" + port, this::report);
  }

  private void report(String line) {
    system.eventStream().publish(new TlsRefusals.Refused(line));
  }

  @Override
  public TrustManager[] trustManagers() {
    TrustManager[] managers = super.trustManagers();
    TrustManager[] explained = new TrustManager[managers.length];
    for (int i = 0; i < managers.length; i++) {
      explained[i] = managers[i] instanceof X509ExtendedTrustManager trust
          ? new Explaining(trust, this::report) : managers[i];
    }
    return explained;
  }

  /** Why a certificate chain was refused, in a user's words. */
  static String why(CertificateException e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof CertPathBuilderException || cause instanceof CertPathValidatorException) {
        return "it is not signed by this cluster's CA (another CA's certificate, or a self-made one)";
      }
      if (cause instanceof CertificateExpiredException) {
        return "it has expired";
      }
    }
    String message = String.valueOf(e.getMessage());
    if (message.startsWith("No subject alternative") || message.startsWith("No name matching")) {
      return "it does not name the address it was reached at (" + message + "); issue it with that --host";
    }
    return message;
  }

  static String describe(X509Certificate[] chain) {
    if (chain == null || chain.length == 0) {
      return "(no certificate)";
    }
    return "'" + chain[0].getSubjectX500Principal().getName() + "' issued by '"
        + chain[0].getIssuerX500Principal().getName() + "'";
  }


  /** Checks as the JDK's trust manager does, and logs each refusal. */
  private static final class Explaining extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager trust;
    private final Consumer<String> report;

    Explaining(X509ExtendedTrustManager trust, Consumer<String> report) {
      this.trust = trust;
      this.report = report;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      try {
        trust.checkClientTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        // A server engine knows its own address, not the peer's: the certificate names the peer.
        report.accept("refused an incoming cluster connection from the holder of certificate " + describe(chain)
            + ": " + why(e));
        throw e;
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      try {
        trust.checkServerTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        report.accept("refused the connection to the cluster member at " + engine.getPeerHost() + ":"
            + engine.getPeerPort() + ": its certificate " + describe(chain) + " was refused: " + why(e));
        throw e;
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      trust.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      trust.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      trust.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      trust.checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return trust.getAcceptedIssuers();
    }
  }
}
