package baton.app.tls;

import java.nio.ByteBuffer;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;

/**
 * An {@link SSLEngine} that does what the JDK's does and, when its handshake fails, says why in a user's words:
 * Pekko does not log a failed inbound handshake at all, so a member without {@code --tls}, or one with another CA's
 * certificate, would knock at the coordinator's cluster port unseen. One engine serves one connection.
 */
final class ExplainingSslEngine extends SSLEngine {

  private final SSLEngine engine;
  private final String where;
  private final Consumer<String> report;
  private boolean reported;

  /**
   * @param where the connection, in words: "an incoming cluster connection" or "the connection to the member at
   *     HOST:PORT"
   */
  ExplainingSslEngine(SSLEngine engine, String where, Consumer<String> report) {
    super(engine.getPeerHost(), engine.getPeerPort());
    this.engine = engine;
    this.where = where;
    this.report = report;
  }

  /** Why a handshake failed, for the log; empty when the trust manager has already said it (a refused certificate). */
  static String explain(String where, SSLException e, boolean server) {
    String message = String.valueOf(e.getMessage());
    if (message.contains("Unsupported or unrecognized SSL message") || message.contains("plaintext connection")) {
      return "refused " + where + ": the peer does not speak TLS (" + message + "); it was started without --tls "
          + "(or BATON_TLS), or is not a Baton member";
    }
    if (message.contains("Empty client certificate chain")) {
      // The JDK's client offers only a key signed by a CA the server names as trusted: none, so it sent no chain.
      return "refused " + where + ": the peer showed no certificate from this cluster's CA (" + message + "); its "
          + "--tls folder was issued by another CA";
    }
    if (message.startsWith("Received fatal alert: certificate_unknown")
        || message.startsWith("Received fatal alert: bad_certificate")
        || message.startsWith("Received fatal alert: unknown_ca")) {
      return where + " failed: the peer refused this member's certificate (" + message + "); " + (server
          ? "the peer's --tls folder comes from another CA than this member's, or it reached this member by an "
              + "address this member's certificate does not name"
          : "this member's --tls folder comes from another CA than the peer's");
    }
    if (message.startsWith("Received fatal alert: certificate_required")) {
      return where + " failed: the peer wants a certificate (" + message + ")";
    }
    if (message.contains("closed inbound before receiving peer's close_notify")
        || message.contains("Remote host terminated the handshake")) {
      return where + " failed: the peer closed it during the TLS handshake (" + message + "); it does not speak "
          + "TLS, or refused this member";
    }
    return where + " failed its TLS handshake: " + message;
  }

  private SSLException explained(SSLException e) {
    if (!reported) {
      reported = true;
      if (!causedByCertificate(e)) {
        report.accept(explain(where, e, !engine.getUseClientMode()));
      }
    }
    return e;
  }

  private static boolean causedByCertificate(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof CertificateException) {
        return true;
      }
    }
    return false;
  }

  @Override
  public SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst) throws SSLException {
    try {
      return engine.wrap(srcs, offset, length, dst);
    } catch (SSLException e) {
      throw explained(e);
    }
  }

  @Override
  public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int offset, int length) throws SSLException {
    try {
      return engine.unwrap(src, dsts, offset, length);
    } catch (SSLException e) {
      throw explained(e);
    }
  }

  @Override
  public Runnable getDelegatedTask() {
    return engine.getDelegatedTask();
  }

  @Override
  public void closeInbound() throws SSLException {
    try {
      engine.closeInbound();
    } catch (SSLException e) {
      throw explained(e);
    }
  }

  @Override
  public boolean isInboundDone() {
    return engine.isInboundDone();
  }

  @Override
  public void closeOutbound() {
    engine.closeOutbound();
  }

  @Override
  public boolean isOutboundDone() {
    return engine.isOutboundDone();
  }

  @Override
  public String[] getSupportedCipherSuites() {
    return engine.getSupportedCipherSuites();
  }

  @Override
  public String[] getEnabledCipherSuites() {
    return engine.getEnabledCipherSuites();
  }

  @Override
  public void setEnabledCipherSuites(String[] suites) {
    engine.setEnabledCipherSuites(suites);
  }

  @Override
  public String[] getSupportedProtocols() {
    return engine.getSupportedProtocols();
  }

  @Override
  public String[] getEnabledProtocols() {
    return engine.getEnabledProtocols();
  }

  @Override
  public void setEnabledProtocols(String[] protocols) {
    engine.setEnabledProtocols(protocols);
  }

  @Override
  public SSLSession getSession() {
    return engine.getSession();
  }

  @Override
  public SSLSession getHandshakeSession() {
    return engine.getHandshakeSession();
  }

  @Override
  public void beginHandshake() throws SSLException {
    try {
      engine.beginHandshake();
    } catch (SSLException e) {
      throw explained(e);
    }
  }

  @Override
  public SSLEngineResult.HandshakeStatus getHandshakeStatus() {
    return engine.getHandshakeStatus();
  }

  @Override
  public void setUseClientMode(boolean mode) {
    engine.setUseClientMode(mode);
  }

  @Override
  public boolean getUseClientMode() {
    return engine.getUseClientMode();
  }

  @Override
  public void setNeedClientAuth(boolean need) {
    engine.setNeedClientAuth(need);
  }

  @Override
  public boolean getNeedClientAuth() {
    return engine.getNeedClientAuth();
  }

  @Override
  public void setWantClientAuth(boolean want) {
    engine.setWantClientAuth(want);
  }

  @Override
  public boolean getWantClientAuth() {
    return engine.getWantClientAuth();
  }

  @Override
  public void setEnableSessionCreation(boolean flag) {
    engine.setEnableSessionCreation(flag);
  }

  @Override
  public boolean getEnableSessionCreation() {
    return engine.getEnableSessionCreation();
  }

  @Override
  public SSLParameters getSSLParameters() {
    return engine.getSSLParameters();
  }

  @Override
  public void setSSLParameters(SSLParameters params) {
    engine.setSSLParameters(params);
  }

  @Override
  public String getApplicationProtocol() {
    return engine.getApplicationProtocol();
  }

  @Override
  public String getHandshakeApplicationProtocol() {
    return engine.getHandshakeApplicationProtocol();
  }

  @Override
  public void setHandshakeApplicationProtocolSelector(BiFunction<SSLEngine, List<String>, String> selector) {
    engine.setHandshakeApplicationProtocolSelector(selector);
  }

  @Override
  public BiFunction<SSLEngine, List<String>, String> getHandshakeApplicationProtocolSelector() {
    return engine.getHandshakeApplicationProtocolSelector();
  }
}
