package baton.app.cli;

import baton.app.tls.ClusterCa;
import baton.app.tls.TlsProblem;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code baton certs}: a cluster's own CA and its members' certificates, for {@code --tls DIR}. */
@Command(name = "certs", mixinStandardHelpOptions = true,
    description = {"Makes the certificates for mutual TLS between a cluster's members (--tls DIR): "
        + "`certs init CA_DIR` once, then `certs issue CA_DIR NAME --out DIR` for each member. Keep CA_DIR on one "
        + "machine; copy each member's DIR to its machine."},
    subcommands = {CertsCommand.Init.class, CertsCommand.Issue.class})
final class CertsCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCodes.BAD_INPUT;
  }

  /** The defaults under {@code baton.certs}, read with the client commands' quick config. */
  static Config defaults() {
    return CoordinatorClient.Settings.read(CertsCommand.class.getClassLoader()).getConfig("baton.certs");
  }

  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Makes a cluster CA in CA_DIR (new or empty): its key and self-signed certificate in ca.p12, "
          + "and their password in the file 'password'; only the owner may read either.")
  static final class Init implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CA_DIR", description = "The CA's folder: new, or empty.")
    Path dir;

    @Option(names = "--days", paramLabel = "N",
        description = "How long the CA's certificate is valid (default: baton.certs.ca-days, 3650).")
    Integer days;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try {
        ClusterCa ca = ClusterCa.init(dir, days != null ? days : defaults().getInt("ca-days"));
        out.printf("baton: cluster CA %s in %s, valid until %s%n", ca.certificate().getSubjectX500Principal()
            .getName(), dir.toAbsolutePath(), ca.certificate().getNotAfter().toInstant());
        out.flush();
        return ExitCodes.SUCCEEDED;
      } catch (TlsProblem e) {
        return ClientCommand.fail(spec.commandLine().getErr(), ExitCodes.BAD_INPUT, e.getMessage());
      } catch (IOException | GeneralSecurityException e) {
        return ClientCommand.fail(spec.commandLine().getErr(), ExitCodes.FAILED,
            "cannot make the CA in " + dir + ": " + CoordinatorCommand.rootMessage(e));
      }
    }
  }

  @Command(name = "issue", mixinStandardHelpOptions = true,
      description = {"Makes a member's folder DIR (new or empty) for --tls: its key and a certificate for NAME "
          + "signed by the CA (keystore.p12), the CA as trust store (truststore.p12), and their password "
          + "(password, readable by its owner only).",
          "The certificate names the addresses and host names the member is reached at (--host); peers check "
          + "them, so give the member's --host (and the coordinator's, for its HTTPS API)."})
  static final class Issue implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CA_DIR", description = "The CA's folder, from `baton certs init`.")
    Path caDir;

    @Parameters(index = "1", paramLabel = "NAME",
        description = "The member's name (its certificate's CN): letters, digits, '.', '-', '_'.")
    String name;

    @Option(names = "--out", paramLabel = "DIR", required = true,
        description = "The member's folder to make: new, or empty.")
    Path out;

    @Option(names = "--host", paramLabel = "HOST",
        description = "An address or host name the member is reached at; repeat for more "
            + "(default: baton.certs.member-hosts, 127.0.0.1 and localhost).")
    List<String> hosts;

    @Option(names = "--days", paramLabel = "N",
        description = "How long the certificate is valid, at most as long as the CA's (default: "
            + "baton.certs.member-days, 825).")
    Integer days;

    @Override
    public Integer call() {
      PrintWriter stdout = spec.commandLine().getOut();
      try {
        ClusterCa ca = ClusterCa.open(caDir);
        Config defaults = defaults();
        List<String> chosen = hosts != null && !hosts.isEmpty() ? hosts : defaults.getStringList("member-hosts");
        X509Certificate cert = ca.issue(name, chosen, days != null ? days : defaults.getInt("member-days"), out);
        stdout.printf("baton: %s for %s, valid until %s, in %s; start the member with --tls %s%n", name,
            String.join(", ", chosen), cert.getNotAfter().toInstant(), out.toAbsolutePath(), out);
        stdout.flush();
        return ExitCodes.SUCCEEDED;
      } catch (TlsProblem e) {
        return ClientCommand.fail(spec.commandLine().getErr(), ExitCodes.BAD_INPUT, e.getMessage());
      } catch (IOException | GeneralSecurityException e) {
        return ClientCommand.fail(spec.commandLine().getErr(), ExitCodes.FAILED,
            "cannot issue " + name + " into " + out + ": " + CoordinatorCommand.rootMessage(e));
      }
    }
  }
}
