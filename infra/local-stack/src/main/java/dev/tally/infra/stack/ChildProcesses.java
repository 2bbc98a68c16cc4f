package dev.tally.infra.stack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the command lines of child processes. Children run in a session of their own (setsid) so that Ctrl-C in
 * the terminal reaches only ./tally, which then stops them in order: services first, brokers last.
 */
final class ChildProcesses {
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    static List<String> ownSession(List<String> command) {
        if (!Files.isExecutable(SETSID)) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(command.size() + 1);
        wrapped.add(SETSID.toString());
        wrapped.addAll(command);
        return wrapped;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private ChildProcesses() {
    }
}
