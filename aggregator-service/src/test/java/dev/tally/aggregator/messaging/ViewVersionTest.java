package dev.tally.aggregator.messaging;

import dev.tally.contracts.Topics;
import dev.tally.contracts.ViewVersions;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ViewVersionTest {

    @Test
    void versionOneKeepsTheNamesOfAnInstallationWithoutVersions() {
        ViewVersion first = new ViewVersion(1);
        assertEquals("stage1", first.stage(StageOne.STAGE));
        assertEquals("tally-aggregator", first.group(StageOne.GROUP));
        assertEquals("page-partials", first.pagePartials());
        assertEquals("page-stats", first.topic(Topics.PAGE_STATS));
    }

    @Test
    void aReplayedVersionHasNamesOfItsOwn() {
        ViewVersion second = new ViewVersion(2);
        assertEquals("v2.stage2", second.stage(StageTwo.STAGE));
        assertEquals("tally-aggregator-stage2.v2", second.group(StageTwo.GROUP));
        assertEquals("clicks.late.v2", second.topic(Topics.CLICKS_LATE));
        assertEquals(2, ViewVersions.versionOf(second.topic(Topics.PAGE_STATS)));
        assertEquals(1, ViewVersions.versionOf("clicks.late"));
        assertEquals(12, ViewVersions.versionOf("page-stats.v12"));
        assertThrows(IllegalArgumentException.class, () -> new ViewVersion(0));
    }

    @Test
    void readersSubscribeToEveryVersionOfATopicAndNothingElse() {
        Pattern pattern = Pattern.compile(ViewVersions.pattern(Topics.PAGE_STATS));
        assertTrue(pattern.matcher("page-stats").matches());
        assertTrue(pattern.matcher("page-stats.v3").matches());
        assertFalse(pattern.matcher("page-statsXv3").matches());
        assertFalse(pattern.matcher("page-stats.v").matches());
        assertFalse(pattern.matcher("page-summaries").matches());
    }

    @Test
    void aVersionOfTopicsIsLaidOutLikeVersionOne() {
        var specs = Topics.ofVersion(3, 8);
        assertEquals(Topics.VERSIONED.size(), specs.size());
        Topics.Spec stats = specs.stream().filter(s -> s.name().equals("page-stats.v3")).findFirst().orElseThrow();
        assertTrue(stats.compacted());
        assertEquals(8, stats.partitions());
    }

    @Test
    void aReplayHasReachedItsTargetOnlyOnEveryPartition() {
        assertTrue(StreamEngines.reached(Map.of(0, 10L, 1, 7L), Map.of(0, 10L, 1, 5L)));
        assertFalse(StreamEngines.reached(Map.of(0, 10L), Map.of(0, 10L, 1, 5L)));
        assertFalse(StreamEngines.reached(Map.of(0, 9L, 1, 7L), Map.of(0, 10L, 1, 5L)));
        assertTrue(StreamEngines.reached(Map.of(), Map.of(0, 0L)));
    }
}
