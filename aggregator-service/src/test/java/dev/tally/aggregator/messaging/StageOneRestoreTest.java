package dev.tally.aggregator.messaging;

import dev.tally.aggregator.domain.SeenEvents;
import dev.tally.testkit.TallyStackResource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stage 1 restoring into a state that a failed attempt had changed (a batch is retried on the same state object):
 * a snapshot written before the counted ids were in checkpoints (format 5) leaves none, not the attempt's, which
 * would make the retried batch's clicks look like repeats and drop them.
 */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
class StageOneRestoreTest {

    @Inject
    StreamEngines engines;

    @Inject
    MeterRegistry registry;

    @Test
    void aSnapshotOfFormatFiveLeavesNoCountedIds() throws Exception {
        ViewVersion version = new ViewVersion(79);
        try {
            StageOne stage = new StageOne(version, engines.context());
            StageOne.State state = stage.newState(0);
            long[] attempted = SeenEvents.fingerprint("counted-by-a-failed-attempt");
            assertTrue(state.seen.add(attempted, 1_000));

            // a format-5 snapshot: windows, then sessions (none here)
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            stage.newState(0).windows.writeTo(out);
            out.writeBoolean(false);
            out.flush();
            stage.readState(state, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), 5);

            assertEquals(0, state.seen.size());
            assertTrue(state.seen.add(attempted, 1_000), "the retried batch's click counts");
        } finally {
            StreamEngine.forgetMeters(registry, version);
        }
    }
}
