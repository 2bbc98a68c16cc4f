package dev.tally.aggregator.store;

import dev.tally.testkit.TallyStackResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * V8 over what an earlier build left (V7: the snapshot in the checkpoint row, deltas numbered from 1 after it), in a
 * schema of its own in the real PostgreSQL: the snapshot moves to its table as including no delta, and the checkpoint
 * numbers the deltas it has, so that a restore reads the same snapshot and deltas.
 */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
class SnapshotMigrationTest {

    @Inject
    DataSource dataSource;

    private Flyway flyway(String schema, String target) {
        return Flyway.configure().dataSource(dataSource).schemas(schema).defaultSchema(schema)
                .locations("classpath:db/migration").target(target).load();
    }

    @Test
    void aCheckpointOfTheEarlierLayoutKeepsItsSnapshotAndDeltas() throws Exception {
        String schema = "migration_" + ThreadLocalRandom.current().nextInt(1_000_000);
        flyway(schema, "7").migrate();
        try {
            try (Connection connection = dataSource.getConnection();
                 Statement statement = connection.createStatement()) {
                statement.execute("INSERT INTO " + schema + ".checkpoint (stage, partition, next_offset, state) "
                        + "VALUES ('stage1', 0, 40, '\\x0102'::bytea), ('stage1', 1, 7, '\\x03'::bytea)");
                statement.execute("INSERT INTO " + schema + ".checkpoint_delta (stage, partition, seq, data) VALUES "
                        + "('stage1', 0, 1, '\\xaa'::bytea), ('stage1', 0, 2, '\\xbb'::bytea)");
            }
            flyway(schema, "latest").migrate(); // the service's pool has two connections: none held meanwhile
            assertMigrated(schema);
        } finally {
            try (Connection connection = dataSource.getConnection();
                 Statement statement = connection.createStatement()) {
                statement.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    private void assertMigrated(String schema) throws Exception {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            try (ResultSet rows = statement.executeQuery("SELECT c.partition, c.delta_seq, s.seq, s.state FROM "
                    + schema + ".checkpoint c JOIN " + schema + ".checkpoint_snapshot s USING (stage, partition) "
                    + "ORDER BY c.partition")) {
                assertTrue(rows.next());
                assertEquals(0, rows.getInt(1));
                assertEquals(2, rows.getLong(2), "the checkpoint numbers the deltas it has");
                assertEquals(0, rows.getLong(3), "the snapshot includes none of them");
                assertArrayEquals(new byte[] {1, 2}, rows.getBytes(4));
                assertTrue(rows.next());
                assertEquals(1, rows.getInt(1));
                assertEquals(0, rows.getLong(2), "no deltas: nothing to number");
                assertArrayEquals(new byte[] {3}, rows.getBytes(4));
                assertFalse(rows.next());
            }
            try (ResultSet columns = statement.executeQuery("SELECT count(*) FROM information_schema.columns WHERE "
                    + "table_schema = '" + schema + "' AND table_name = 'checkpoint' AND column_name = 'state'")) {
                columns.next();
                assertEquals(0, columns.getInt(1), "the snapshot is no longer kept in the checkpoint row");
            }
        }
    }
}
