package dev.tally.view.rest;

import dev.tally.contracts.Problem;
import jakarta.ws.rs.core.Response;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;

/** Reading query parameters, and the problem+json that explains one that cannot be read. */
final class QueryParams {

    /** Thrown with the detail of the problem to answer. */
    static final class Invalid extends IllegalArgumentException {
        Invalid(String detail) {
            super(detail);
        }
    }

    /** A required date, as YYYY-MM-DD. */
    static LocalDate date(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new Invalid("query parameter '" + name + "' is required, as YYYY-MM-DD");
        }
        return optionalDate(name, value);
    }

    /** An optional date, as YYYY-MM-DD; null when absent. */
    static LocalDate optionalDate(String name, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return LocalDate.parse(value);
        } catch (DateTimeParseException e) {
            throw new Invalid("query parameter '" + name + "' must be a date as YYYY-MM-DD, not '" + echo(value) + "'");
        }
    }

    /** An optional whole number from {@code min} to {@code max}. */
    static int integer(String name, String value, int fallback, int min, int max) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new Invalid("query parameter '" + name + "' must be a whole number from " + min + " to " + max
                + ", not '" + echo(value) + "'");
    }

    /** An optional {@code true} or {@code false}. */
    static boolean bool(String name, String value) {
        if (value == null || value.isBlank() || value.equals("false")) {
            return false;
        }
        if (value.equals("true")) {
            return true;
        }
        throw new Invalid("query parameter '" + name + "' must be true or false, not '" + echo(value) + "'");
    }

    static Response bad(String detail) {
        return Response.status(400).type(Problem.MEDIA_TYPE)
                .entity(Problem.of("invalid-query", "Invalid query", 400, detail)).build();
    }

    private static String echo(String value) {
        return value.length() > 40 ? value.substring(0, 40) + "..." : value;
    }

    private QueryParams() {
    }
}
