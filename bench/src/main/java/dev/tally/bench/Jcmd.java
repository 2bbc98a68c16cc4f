package dev.tally.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The JDK's {@code jcmd}, run against a JVM of the run (JFR recordings, perf counters). */
final class Jcmd {

    /** Runs {@code jcmd <pid> command...} and returns what it printed; gives up after 30 s. */
    static String run(ProcessHandle process, String... command) throws IOException, InterruptedException {
        List<String> line = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(process.pid())));
        line.addAll(List.of(command));
        Process p = new ProcessBuilder(line).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("jcmd " + command[0] + " did not end within 30 s");
        }
        return out;
    }

    private Jcmd() {
    }
}
