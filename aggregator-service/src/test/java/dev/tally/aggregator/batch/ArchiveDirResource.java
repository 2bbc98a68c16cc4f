package dev.tally.aggregator.batch;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Turns the archiver on for the module's {@code @QuarkusTest}s, into a fresh folder (the test stack's topics are
 * fresh too, so an archive of an earlier run would not match them), with files closing after a second.
 */
public class ArchiveDirResource implements QuarkusTestResourceLifecycleManager {
    static final Path DIR = Path.of("target", "archive-test").toAbsolutePath();

    @Override
    public Map<String, String> start() {
        try {
            if (Files.exists(DIR)) {
                try (Stream<Path> paths = Files.walk(DIR)) {
                    for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(path);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("tally.archive.dir", DIR.toString(), "tally.archive.rotate-after", "PT1S",
                "tally.archive.rotate-records", "150");
    }

    @Override
    public void stop() {
    }
}
