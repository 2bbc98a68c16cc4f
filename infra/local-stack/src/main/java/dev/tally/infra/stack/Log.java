package dev.tally.infra.stack;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/** The few lines a person watching ./tally up reads: plain, timestamped, on standard output. */
final class Log {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    static void info(String message) {
        System.out.println(LocalTime.now().format(TIME) + " tally  " + message);
        System.out.flush();
    }

    static void warn(String message) {
        System.out.println(LocalTime.now().format(TIME) + " tally  WARN " + message);
        System.out.flush();
    }

    private Log() {
    }
}
