package baton.app.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A cluster's own certificate authority ({@code baton certs init}) and the members' folders it signs
 * ({@code baton certs issue}). Keys are EC P-256, certificates are signed with SHA256withECDSA through the JDK's
 * providers; Bouncy Castle only builds the certificates, which the JDK has no public API for. Key stores are
 * PKCS12, each folder's password is in a file {@value TlsFolder#PASSWORD} that only its owner may read (600), and the
 * folders themselves are 700.
 */
public final class ClusterCa {

  /** The CA's key and certificate, in the CA's folder. */
  public static final String CA_STORE = "ca.p12";

  private static final String CA_ALIAS = "baton-ca";
  private static final String MEMBER_ALIAS = "member";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  /** Certificates start an hour back, for members whose clocks run a little behind the CA's. */
  private static final Duration CLOCK_SKEW = Duration.ofHours(1);

  private final Path dir;
  private final PrivateKey key;
  private final X509Certificate certificate;

  private ClusterCa(Path dir, PrivateKey key, X509Certificate certificate) {
    this.dir = dir;
    this.key = key;
    this.certificate = certificate;
  }

  /** The CA's certificate, which members trust. */
  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * Makes a new CA in {@code dir}, which must not exist or be empty: a key, a self-signed CA certificate valid
   * for {@code days}, in {@value #CA_STORE}, and the store's password.
   */
  public static ClusterCa init(Path dir, int days) throws TlsProblem, IOException, GeneralSecurityException {
    checkDays(days);
    prepareEmptyDir(dir, "the CA's folder");
    KeyPair pair = newKeyPair();
    String id = HexFormat.of().formatHex(randomBytes(4));
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, "Baton")
        .addRDN(BCStyle.CN, "Baton cluster CA " + id)
        .build();
    Instant now = Instant.now();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
        Date.from(now.minus(CLOCK_SKEW)), Date.from(now.plus(Duration.ofDays(days))), subject, pair.getPublic());
    JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          extensions.createSubjectKeyIdentifier(pair.getPublic()));
    } catch (CertIOException e) {
      throw new IOException(e);
    }
    X509Certificate cert = sign(builder, pair.getPrivate());
    char[] password = newPassword();
    KeyStore store = emptyStore();
    store.setKeyEntry(CA_ALIAS, pair.getPrivate(), password, new Certificate[] {cert});
    writePassword(dir, password);
    writeStore(store, dir.resolve(CA_STORE), password);
    return new ClusterCa(dir, pair.getPrivate(), cert);
  }

  /** Opens the CA in {@code dir}, as {@link #init} left it. */
  public static ClusterCa open(Path dir) throws TlsProblem, IOException, GeneralSecurityException {
    Path storeFile = dir.resolve(CA_STORE);
    if (!Files.isDirectory(dir) || !Files.isRegularFile(storeFile)) {
      throw new TlsProblem("no cluster CA in " + dir + " (no " + CA_STORE + " there); make one with `baton certs "
          + "init " + dir + "`");
    }
    char[] password = TlsFolder.readPassword(dir);
    KeyStore store = TlsFolder.loadStore(storeFile, password, dir);
    try {
      if (store.isKeyEntry(CA_ALIAS) && store.getCertificate(CA_ALIAS) instanceof X509Certificate cert
          && cert.getBasicConstraints() >= 0) {
        return new ClusterCa(dir, (PrivateKey) store.getKey(CA_ALIAS, password), cert);
      }
    } catch (UnrecoverableKeyException e) {
      throw new TlsProblem("the password in " + dir.resolve(TlsFolder.PASSWORD) + " does not open the CA's key");
    }
    throw new TlsProblem("no cluster CA in " + dir + ": " + storeFile + " holds no CA key and certificate");
  }

  /**
   * Makes a member's folder {@code out} (which must not exist or be empty): a new key and a certificate for
   * {@code name}, signed by this CA, valid for {@code days} (no longer than the CA) and for the given host names and
   * addresses, in {@value TlsFolder#KEY_STORE}; this CA's certificate in {@value TlsFolder#TRUST_STORE}; and their
   * password. Returns the certificate.
   */
  public X509Certificate issue(String name, List<String> hosts, int days, Path out)
      throws TlsProblem, IOException, GeneralSecurityException {
    if (!NAME.matcher(name).matches()) {
      throw new TlsProblem("NAME must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter "
          + "or digit; got '" + name + "'");
    }
    checkDays(days);
    if (hosts.isEmpty()) {
      throw new TlsProblem("give at least one --host: the addresses and host names the member is reached at");
    }
    List<GeneralName> names = new ArrayList<>();
    for (String host : hosts) {
      names.add(generalName(host));
    }
    prepareEmptyDir(out, "--out");
    KeyPair pair = newKeyPair();
    Instant now = Instant.now();
    Instant notAfter = now.plus(Duration.ofDays(days));
    if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
      notAfter = certificate.getNotAfter().toInstant();
    }
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, "Baton")
        .addRDN(BCStyle.CN, name)
        .build();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
        Date.from(now.minus(CLOCK_SKEW)), Date.from(notAfter), subject, pair.getPublic());
    JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
      // Every member is a TLS server (peers connect to it) and a TLS client (it connects to peers).
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
          new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      builder.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(names.toArray(GeneralName[]::new)));
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          extensions.createSubjectKeyIdentifier(pair.getPublic()));
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          extensions.createAuthorityKeyIdentifier(certificate));
    } catch (CertIOException e) {
      throw new IOException(e);
    }
    X509Certificate cert = sign(builder, key);
    char[] password = newPassword();
    KeyStore keys = emptyStore();
    keys.setKeyEntry(MEMBER_ALIAS, pair.getPrivate(), password, new Certificate[] {cert, certificate});
    KeyStore trust = emptyStore();
    trust.setCertificateEntry(CA_ALIAS, certificate);
    writePassword(out, password);
    writeStore(keys, out.resolve(TlsFolder.KEY_STORE), password);
    writeStore(trust, out.resolve(TlsFolder.TRUST_STORE), password);
    return cert;
  }

  /** The CA's folder. */
  public Path dir() {
    return dir;
  }

  private static void checkDays(int days) throws TlsProblem {
    if (days < 1) {
      throw new TlsProblem("--days must be at least 1, got " + days);
    }
  }

  private static GeneralName generalName(String host) throws TlsProblem {
    String trimmed = host.strip();
    boolean ipv4 = trimmed.matches("(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}");
    if (trimmed.matches("[0-9.]+") && !ipv4) {
      throw new TlsProblem("--host " + host + " is neither an IP address nor a host name");
    }
    if (ipv4 || trimmed.contains(":")) {
      try {
        // An IP literal: InetAddress parses it without a name lookup (a colon never makes a host name).
        InetAddress.getByName(trimmed);
        return new GeneralName(GeneralName.iPAddress, trimmed);
      } catch (IOException | IllegalArgumentException e) {
        throw new TlsProblem("--host " + host + " is neither an IP address nor a host name");
      }
    }
    if (!trimmed.matches("(?i)[a-z0-9*]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
      throw new TlsProblem("--host " + host + " is neither an IP address nor a host name");
    }
    return new GeneralName(GeneralName.dNSName, trimmed);
  }

  private static void prepareEmptyDir(Path dir, String what) throws TlsProblem, IOException {
    if (Files.exists(dir)) {
      if (!Files.isDirectory(dir)) {
        throw new TlsProblem(what + " " + dir + " is a file, not a folder");
      }
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        if (entries.iterator().hasNext()) {
          throw new TlsProblem(what + " " + dir + " is not empty; give a new or empty folder (nothing is overwritten)");
        }
      }
      setOwnerOnly(dir, "rwx------");
    } else {
      if (dir.toAbsolutePath().getParent() != null) {
        Files.createDirectories(dir.toAbsolutePath().getParent());
      }
      try {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (UnsupportedOperationException e) {
        Files.createDirectory(dir);
      }
    }
  }

  private static void setOwnerOnly(Path path, String permissions) throws IOException {
    try {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: its own access rules apply.
    }
  }

  /** Creates the file owner-only before a byte goes in, so that no one else may open it in between. */
  private static OutputStream newOwnerOnlyFile(Path file) throws IOException {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    } catch (FileAlreadyExistsException e) {
      throw new IOException(file + " appeared while Baton was writing the folder", e);
    }
    return Files.newOutputStream(file);
  }

  private static void writePassword(Path dir, char[] password) throws IOException {
    try (OutputStream out = newOwnerOnlyFile(dir.resolve(TlsFolder.PASSWORD))) {
      out.write((new String(password) + "\n").getBytes(StandardCharsets.US_ASCII));
    }
  }

  private static void writeStore(KeyStore store, Path file, char[] password)
      throws IOException, GeneralSecurityException {
    try (OutputStream out = newOwnerOnlyFile(file)) {
      store.store(out, password);
    }
  }

  private static KeyStore emptyStore() throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load((InputStream) null, null);
    return store;
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e.getMessage(), e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(1, randomBytes(16));
  }

  private static char[] newPassword() {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(24)).toCharArray();
  }

  private static byte[] randomBytes(int count) {
    byte[] bytes = new byte[count];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }
}
