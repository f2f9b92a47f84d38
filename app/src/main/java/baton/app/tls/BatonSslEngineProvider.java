package baton.app.tls;

import java.net.Socket;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pekko's {@link ConfigSSLEngineProvider} (key and trust stores from {@code pekko.remote.artery.ssl.config-ssl-engine}),
 * whose trust check says in one line of Baton's log which peer it refused and why: the JDK's own words ("PKIX path
 * building failed") name neither the peer nor the cluster's CA.
 */
public final class BatonSslEngineProvider extends ConfigSSLEngineProvider {

  private static final Logger LOG = LoggerFactory.getLogger(BatonSslEngineProvider.class);

  public BatonSslEngineProvider(ActorSystem system) {
    super(system);
  }

  @Override
  public TrustManager[] trustManagers() {
    TrustManager[] managers = super.trustManagers();
    TrustManager[] explained = new TrustManager[managers.length];
    for (int i = 0; i < managers.length; i++) {
      explained[i] = managers[i] instanceof X509ExtendedTrustManager trust ? new Explaining(trust) : managers[i];
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

  private static String peer(SSLEngine engine) {
    return engine == null || engine.getPeerHost() == null ? "a peer" : engine.getPeerHost() + ":" + engine.getPeerPort();
  }

  /** Checks as the JDK's trust manager does, and logs each refusal. */
  private static final class Explaining extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager trust;

    Explaining(X509ExtendedTrustManager trust) {
      this.trust = trust;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      try {
        trust.checkClientTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        LOG.warn("TLS: refused a cluster connection from {}: its certificate {} was refused: {}", peer(engine),
            describe(chain), why(e));
        throw e;
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      try {
        trust.checkServerTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        LOG.warn("TLS: refused to connect to the cluster member at {}: its certificate {} was refused: {}",
            peer(engine), describe(chain), why(e));
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
