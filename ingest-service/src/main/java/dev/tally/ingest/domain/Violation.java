package dev.tally.ingest.domain;

import dev.tally.contracts.InvalidEvent.FieldError;

/**
 * Why an input was refused: a stable code (also the tag of the rejection metric), the field at fault ("" for the
 * whole input) and a reason a person can act on.
 */
public record Violation(String code, String field, String reason) {
    public static final String REQUIRED = "required";
    public static final String TYPE = "type";
    public static final String LENGTH = "length";
    public static final String FORMAT = "format";
    public static final String RANGE = "range";
    public static final String SIZE = "size";
    public static final String UNKNOWN_FIELD = "unknown-field";
    public static final String UNKNOWN_TYPE = "unknown-type";
    public static final String MALFORMED = "malformed";

    public FieldError toFieldError() {
        return new FieldError(field, reason);
    }
}
