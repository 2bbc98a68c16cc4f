package dev.tally.aggregator.messaging;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * When a partition's deltas give way to a snapshot: due, and overdue at half as much again; due at once when the last
 * one was lost.
 */
class SnapshotDueTest {

    private static CheckpointedStage.PartitionState state(long snapshotBytes, long deltaBytes, int deltas) {
        CheckpointedStage.PartitionState state = new CheckpointedStage.PartitionState() {
        };
        state.snapshotBytes = snapshotBytes;
        state.deltaBytes = deltaBytes;
        state.deltas = deltas;
        return state;
    }

    @Test
    void deltasGoOnUntilTheyAddUpToTwiceTheSnapshotThenOverdueAtThreeTimes() {
        long snapshot = 10 << 20;
        assertEquals(0, CheckpointedStage.snapshotDue(state(snapshot, 2 * snapshot - 1, 10)));
        assertEquals(1, CheckpointedStage.snapshotDue(state(snapshot, 2 * snapshot, 10)));
        assertEquals(1, CheckpointedStage.snapshotDue(state(snapshot, 3 * snapshot - 1, 10)));
        assertEquals(2, CheckpointedStage.snapshotDue(state(snapshot, 3 * snapshot, 10)));
    }

    @Test
    void aSmallStateWaitsForTheMinimumOfDeltasOrTheirNumber() {
        long min = CheckpointedStage.MIN_DELTA_BYTES;
        assertEquals(0, CheckpointedStage.snapshotDue(state(100, min - 1, 10)));
        assertEquals(1, CheckpointedStage.snapshotDue(state(100, min, 10)));
        assertEquals(1, CheckpointedStage.snapshotDue(state(100, 10, CheckpointedStage.MAX_DELTAS)));
        assertEquals(1, CheckpointedStage.snapshotDue(state(100, 10, CheckpointedStage.MAX_DELTAS * 3 / 2 - 1)));
        assertEquals(2, CheckpointedStage.snapshotDue(state(100, 10, CheckpointedStage.MAX_DELTAS * 3 / 2)));
    }

    @Test
    void aLostSnapshotIsTakenAgainAtTheNextBatch() {
        CheckpointedStage.PartitionState state = state(10 << 20, 10, 1);
        assertEquals(0, CheckpointedStage.snapshotDue(state));
        state.snapshotLost = true;
        assertEquals(1, CheckpointedStage.snapshotDue(state));
    }
}
