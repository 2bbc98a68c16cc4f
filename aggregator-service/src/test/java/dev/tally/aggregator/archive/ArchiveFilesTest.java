package dev.tally.aggregator.archive;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArchiveFilesTest {

    @Test
    void aPartitionResumesAfterItsLastClosedFileAndForgetsAnOpenOne(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(ArchiveFiles.closedName(3, 0, 99)), "");
        Files.writeString(dir.resolve(ArchiveFiles.closedName(3, 100, 249)), "");
        Files.writeString(dir.resolve(ArchiveFiles.closedName(12, 0, 999)), "");
        Path open = dir.resolve(ArchiveFiles.openName(3, 250));
        Files.writeString(open, "{\"half\":");
        Path otherOpen = dir.resolve(ArchiveFiles.openName(12, 1000));
        Files.writeString(otherOpen, "");

        assertEquals(250, ArchiveFiles.resume(dir, 3));
        assertFalse(Files.exists(open), "a file left open by a crash is written again");
        assertTrue(Files.exists(otherOpen), "another partition's open file is not ours");
        assertEquals(0, ArchiveFiles.resume(dir, 4));
        assertEquals(1000, ArchiveFiles.resume(dir, 12));
        assertEquals("clicks-p3-00000000000000000100-00000000000000000249.jsonl",
                ArchiveFiles.closed(dir).get(1).path().getFileName().toString());
    }
}
