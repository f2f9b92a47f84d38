package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code baton certs init} and {@code baton certs issue}: what they write, and their answers to bad input. */
final class CertsCommandTest {

  @TempDir
  Path dir;

  @Test
  void init_emptyPlace_caKeyAndCertificateInPkcs12WithOwnerOnlyPassword() throws Exception {
    Path ca = dir.resolve("ca");

    Cli.Run run = Cli.run("certs", "init", ca.toString());

    assertEquals(0, run.code(), run.toString());
    assertEquals("rwx------", permissions(ca));
    assertEquals("rw-------", permissions(ca.resolve("password")));
    assertEquals("rw-------", permissions(ca.resolve("ca.p12")));
    KeyStore store = load(ca.resolve("ca.p12"), ca.resolve("password"));
    String alias = store.aliases().nextElement();
    assertTrue(store.getKey(alias, password(ca.resolve("password"))) instanceof PrivateKey);
    X509Certificate cert = (X509Certificate) store.getCertificate(alias);
    cert.verify(cert.getPublicKey());
    assertTrue(cert.getBasicConstraints() >= 0, "a CA certificate");
    assertTrue(cert.getNotAfter().toInstant().isAfter(Instant.now().plus(Duration.ofDays(3600))));
  }

  @Test
  void issue_memberOfTheCa_folderLoadsChainsToTheCaAndCoversItsHosts() throws Exception {
    Path ca = dir.resolve("ca");
    Path member = dir.resolve("node-a");
    assertEquals(0, Cli.run("certs", "init", ca.toString()).code());

    Cli.Run run = Cli.run("certs", "issue", ca.toString(), "node-a", "--out", member.toString(),
        "--host", "127.0.0.1", "--host", "node-a.example", "--days", "30");

    assertEquals(0, run.code(), run.toString());
    assertEquals("rwx------", permissions(member));
    assertEquals("rw-------", permissions(member.resolve("password")));
    KeyStore keys = load(member.resolve("keystore.p12"), member.resolve("password"));
    KeyStore trust = load(member.resolve("truststore.p12"), member.resolve("password"));
    String alias = keys.aliases().nextElement();
    assertTrue(keys.isKeyEntry(alias));
    assertTrue(keys.getKey(alias, password(member.resolve("password"))) instanceof PrivateKey);
    X509Certificate cert = (X509Certificate) keys.getCertificate(alias);
    X509Certificate caCert = (X509Certificate) trust.getCertificate(trust.aliases().nextElement());
    KeyStore caStore = load(ca.resolve("ca.p12"), ca.resolve("password"));
    assertEquals(caStore.getCertificate(caStore.aliases().nextElement()), caCert, "the trust store holds the CA");
    assertChainsTo(cert, caCert);
    assertTrue(cert.getSubjectX500Principal().getName().contains("CN=node-a"), cert.getSubjectX500Principal()
        .getName());
    assertEquals(Set.of("127.0.0.1", "node-a.example"), names(cert.getSubjectAlternativeNames()));
    assertTrue(cert.getExtendedKeyUsage().containsAll(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")),
        "server and client authentication");
    assertTrue(cert.getNotAfter().toInstant().isBefore(Instant.now().plus(Duration.ofDays(31))));
  }

  @Test
  void issue_noHostGiven_coversLoopbackByNameAndAddress() throws Exception {
    Path ca = dir.resolve("ca");
    Path member = dir.resolve("m");
    assertEquals(0, Cli.run("certs", "init", ca.toString()).code());

    Cli.Run run = Cli.run("certs", "issue", ca.toString(), "m", "--out", member.toString());

    assertEquals(0, run.code(), run.toString());
    KeyStore keys = load(member.resolve("keystore.p12"), member.resolve("password"));
    X509Certificate cert = (X509Certificate) keys.getCertificate(keys.aliases().nextElement());
    assertEquals(Set.of("127.0.0.1", "localhost"), names(cert.getSubjectAlternativeNames()));
  }

  @Test
  void init_placeNotEmpty_refusedExit2() throws Exception {
    Path ca = Files.createDirectories(dir.resolve("ca"));
    Files.writeString(ca.resolve("notes.txt"), "mine");

    Cli.Run run = Cli.run("certs", "init", ca.toString());

    assertEquals(2, run.code(), run.toString());
    assertOneClearLine(run, "not empty");
    assertEquals(List.of(ca.resolve("notes.txt")), list(ca));
  }

  @Test
  void issue_caDirMissing_oneClearLineExit2() {
    Cli.Run run = Cli.run("certs", "issue", dir.resolve("nope").toString(), "a", "--out",
        dir.resolve("a").toString());

    assertEquals(2, run.code(), run.toString());
    assertOneClearLine(run, "no cluster CA");
    assertFalse(Files.exists(dir.resolve("a")));
  }

  @Test
  void issue_dirIsNotACa_oneClearLineExit2() throws Exception {
    Path notCa = Files.createDirectories(dir.resolve("stuff"));
    Files.writeString(notCa.resolve("x"), "y");

    Cli.Run run = Cli.run("certs", "issue", notCa.toString(), "a", "--out", dir.resolve("a").toString());

    assertEquals(2, run.code(), run.toString());
    assertOneClearLine(run, "no cluster CA");
  }

  @Test
  void issue_badName_oneClearLineExit2() throws Exception {
    Path ca = dir.resolve("ca");
    assertEquals(0, Cli.run("certs", "init", ca.toString()).code());

    Cli.Run run = Cli.run("certs", "issue", ca.toString(), "no/such name", "--out", dir.resolve("a").toString());

    assertEquals(2, run.code(), run.toString());
    assertOneClearLine(run, "NAME");
  }

  @Test
  void issue_outNotEmpty_refusedAndLeftAlone() throws Exception {
    Path ca = dir.resolve("ca");
    assertEquals(0, Cli.run("certs", "init", ca.toString()).code());
    Path out = Files.createDirectories(dir.resolve("a"));
    Files.writeString(out.resolve("keep.txt"), "mine");

    Cli.Run run = Cli.run("certs", "issue", ca.toString(), "a", "--out", out.toString());

    assertEquals(2, run.code(), run.toString());
    assertOneClearLine(run, "not empty");
    assertEquals(List.of(out.resolve("keep.txt")), list(out));
  }

  @Test
  void issue_caPasswordWrong_oneClearLineExit2() throws Exception {
    Path ca = dir.resolve("ca");
    assertEquals(0, Cli.run("certs", "init", ca.toString()).code());
    Files.writeString(ca.resolve("password"), "not-the-password\n");

    Cli.Run run = Cli.run("certs", "issue", ca.toString(), "a", "--out", dir.resolve("a").toString());

    assertEquals(2, run.code(), run.toString());
    assertOneClearLine(run, "password");
  }

  private static void assertOneClearLine(Cli.Run run, String words) {
    assertEquals(1, run.err().strip().lines().count(), run.toString());
    assertTrue(run.err().contains(words), run.toString());
    assertFalse(run.err().contains("Exception") || run.err().contains("\tat "), run.toString());
  }

  static void assertChainsTo(X509Certificate cert, X509Certificate ca) throws Exception {
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(
        CertificateFactory.getInstance("X.509").generateCertPath(List.of(cert)), params);
  }

  static KeyStore load(Path store, Path passwordFile) throws Exception {
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keyStore.load(in, password(passwordFile));
    }
    return keyStore;
  }

  static char[] password(Path file) throws Exception {
    return Files.readString(file).strip().toCharArray();
  }

  private static String permissions(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  private static Set<String> names(Collection<List<?>> alternativeNames) {
    Set<String> names = new java.util.HashSet<>();
    for (List<?> name : alternativeNames) {
      names.add((String) name.get(1));
    }
    return names;
  }

  private static List<Path> list(Path folder) throws Exception {
    try (var files = Files.list(folder)) {
      return new ArrayList<>(files.toList());
    }
  }
}
