package baton.app.tls;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A member's folder from {@code baton certs issue}: its key and certificate ({@value #KEY_STORE}), the cluster CA
 * it trusts ({@value #TRUST_STORE}) and their password ({@value #PASSWORD}). Opening one checks that all of it loads,
 * so that a wrong password or an unreadable file is one clear message at start, not a failed handshake later. Uses
 * the JDK alone: client commands open a folder too, and start fast.
 */
public final class TlsFolder {

  public static final String KEY_STORE = "keystore.p12";
  public static final String TRUST_STORE = "truststore.p12";
  public static final String PASSWORD = "password";
  /** The environment variable that stands for {@code --tls DIR} when the flag is not given. */
  public static final String ENV = "BATON_TLS";

  private final Path dir;
  private final char[] password;
  private final Optional<KeyStore> keys;
  private final KeyStore trust;

  private TlsFolder(Path dir, char[] password, Optional<KeyStore> keys, KeyStore trust) {
    this.dir = dir;
    this.password = password;
    this.keys = keys;
    this.trust = trust;
  }

  /** The folder given by the flag, else by {@value #ENV}, else none. */
  public static Optional<Path> chosen(Path flag) {
    if (flag != null) {
      return Optional.of(flag);
    }
    String fromEnv = System.getenv(ENV);
    return fromEnv == null || fromEnv.isBlank() ? Optional.empty() : Optional.of(Path.of(fromEnv.strip()));
  }

  /** A member's folder, for a coordinator or a node: key store, trust store and password must all load. */
  public static TlsFolder member(Path dir) throws TlsProblem {
    TlsFolder folder = open(dir, true);
    X509Certificate cert = folder.certificate();
    try {
      cert.checkValidity();
    } catch (CertificateExpiredException e) {
      throw new TlsProblem("the certificate in " + dir.resolve(KEY_STORE) + " expired on " + cert.getNotAfter()
          + "; issue a new one with `baton certs issue`");
    } catch (CertificateNotYetValidException e) {
      throw new TlsProblem("the certificate in " + dir.resolve(KEY_STORE) + " is not valid before "
          + cert.getNotBefore() + "; is this machine's clock right?");
    }
    return folder;
  }

  /** A folder for a client command, which only needs to trust the cluster CA: trust store and password. */
  public static TlsFolder client(Path dir) throws TlsProblem {
    return open(dir, false);
  }

  private static TlsFolder open(Path dir, boolean withKeys) throws TlsProblem {
    if (!Files.isDirectory(dir)) {
      throw new TlsProblem("--tls " + dir + ": no such folder; make one with `baton certs issue CA_DIR NAME --out "
          + dir + "`");
    }
    char[] password = readPassword(dir);
    Optional<KeyStore> keys = withKeys ? Optional.of(loadStore(dir.resolve(KEY_STORE), password, dir))
        : Optional.empty();
    KeyStore trust = loadStore(dir.resolve(TRUST_STORE), password, dir);
    TlsFolder folder = new TlsFolder(dir, password, keys, trust);
    try {
      if (trust.size() == 0) {
        throw new TlsProblem(dir.resolve(TRUST_STORE) + " trusts no CA; it is not from `baton certs issue`");
      }
      if (withKeys && folder.keyAlias().isEmpty()) {
        throw new TlsProblem(dir.resolve(KEY_STORE) + " holds no key; it is not from `baton certs issue`");
      }
      if (withKeys) {
        keys.get().getKey(folder.keyAlias().get(), password);
      }
    } catch (UnrecoverableKeyException e) {
      throw new TlsProblem("the password in " + dir.resolve(PASSWORD) + " does not open the key in "
          + dir.resolve(KEY_STORE));
    } catch (GeneralSecurityException e) {
      throw new TlsProblem("cannot read " + dir.resolve(KEY_STORE) + ": " + e.getMessage());
    }
    return folder;
  }

  /** The password file's first line. */
  static char[] readPassword(Path dir) throws TlsProblem {
    Path file = dir.resolve(PASSWORD);
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (text.isEmpty()) {
        throw new TlsProblem(file + " is empty");
      }
      return text.lines().findFirst().orElse("").toCharArray();
    } catch (NoSuchFileException e) {
      throw new TlsProblem("no " + PASSWORD + " file in " + dir);
    } catch (AccessDeniedException e) {
      throw new TlsProblem("cannot read " + file + ": permission denied (run as the user who owns it)");
    } catch (IOException e) {
      throw new TlsProblem("cannot read " + file + ": " + e.getMessage());
    }
  }

  /** Loads a PKCS12 store with the folder's password, with one clear message for each way that fails. */
  static KeyStore loadStore(Path file, char[] password, Path dir) throws TlsProblem {
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, password);
      return store;
    } catch (NoSuchFileException e) {
      throw new TlsProblem("no " + file.getFileName() + " in " + dir);
    } catch (AccessDeniedException e) {
      throw new TlsProblem("cannot read " + file + ": permission denied (run as the user who owns it)");
    } catch (IOException e) {
      // PKCS12 reports a wrong password as an IOException whose cause is an UnrecoverableKeyException.
      if (e.getCause() instanceof UnrecoverableKeyException) {
        throw new TlsProblem("the password in " + dir.resolve(PASSWORD) + " does not open " + file);
      }
      throw new TlsProblem("cannot read " + file + " as a PKCS12 store: " + e.getMessage());
    } catch (GeneralSecurityException e) {
      throw new TlsProblem("cannot read " + file + " as a PKCS12 store: " + e.getMessage());
    }
  }

  public Path dir() {
    return dir;
  }

  /** The member's own certificate. */
  public X509Certificate certificate() {
    try {
      return (X509Certificate) keys.orElseThrow().getCertificate(keyAlias().orElseThrow());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The host names and addresses the member's certificate is for. */
  public List<String> hosts() {
    List<String> hosts = new ArrayList<>();
    try {
      Collection<List<?>> names = certificate().getSubjectAlternativeNames();
      for (List<?> name : names == null ? Collections.<List<?>>emptyList() : names) {
        if (name.get(1) instanceof String text) {
          hosts.add(text);
        }
      }
    } catch (CertificateParsingException e) {
      // No readable names: the certificate covers no host.
    }
    return hosts;
  }

  /**
   * Whether peers that reach the member at {@code host} accept its certificate: with hostname verification on, a
   * member's certificate must name the address or host name the member is reached at.
   */
  public boolean covers(String host) {
    for (String name : hosts()) {
      if (name.equalsIgnoreCase(host) || sameAddress(name, host)) {
        return true;
      }
    }
    return false;
  }

  private static boolean sameAddress(String a, String b) {
    if (!isLiteral(a) || !isLiteral(b)) {
      return false;
    }
    try {
      return InetAddress.getByName(a).equals(InetAddress.getByName(b));
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean isLiteral(String host) {
    return host.contains(":") || host.matches("[0-9.]+");
  }

  /** For the HTTPS API: the member's key and certificate, trusting the cluster CA. */
  public SSLContext serverContext() throws TlsProblem {
    try {
      KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keyManagers.init(keys.orElseThrow(), password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManagers.getKeyManagers(), trustManagers().getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new TlsProblem("cannot use the keys in " + dir + ": " + e.getMessage());
    }
  }

  /** For client commands: trusts the cluster CA, and it alone. */
  public SSLContext clientContext() throws TlsProblem {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trustManagers().getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new TlsProblem("cannot use the trust store in " + dir + ": " + e.getMessage());
    }
  }

  private TrustManagerFactory trustManagers() throws GeneralSecurityException {
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    return factory;
  }

  /**
   * A member's config with Artery's {@code tls-tcp} on, from this folder: the settings under
   * {@code baton.tls.cluster-member} (mutual authentication, hostname verification) and the folder's stores.
   */
  public Config clusterConfig(Config config) {
    Map<String, Object> stores = new HashMap<>();
    String engine = "pekko.remote.artery.ssl.config-ssl-engine.";
    stores.put(engine + "key-store", dir.resolve(KEY_STORE).toAbsolutePath().toString());
    stores.put(engine + "trust-store", dir.resolve(TRUST_STORE).toAbsolutePath().toString());
    String secret = new String(password);
    stores.put(engine + "key-store-password", secret);
    stores.put(engine + "key-password", secret);
    stores.put(engine + "trust-store-password", secret);
    return ConfigFactory.parseMap(stores)
        .withFallback(config.getConfig("baton.tls.cluster-member").atPath("pekko"))
        .withFallback(config);
  }

  private Optional<String> keyAlias() {
    try {
      for (String alias : Collections.list(keys.orElseThrow().aliases())) {
        if (keys.get().isKeyEntry(alias)) {
          return Optional.of(alias);
        }
      }
      return Optional.empty();
    } catch (GeneralSecurityException e) {
      return Optional.empty();
    }
  }
}
