package dev.tally.contracts;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * An HTTP error as every Tally service answers it: {@code application/problem+json} (RFC 9457), with a stable
 * {@code type} URI per kind of error, never a stack trace or a class name.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(
        @JsonProperty("type") String type,
        @JsonProperty("title") String title,
        @JsonProperty("status") int status,
        @JsonProperty("detail") String detail,
        @JsonProperty("instance") String instance,
        @JsonProperty("request_id") String requestId,
        @JsonProperty("errors") List<InvalidEvent.FieldError> errors) {

    /** The media type of a problem document. */
    public static final String MEDIA_TYPE = "application/problem+json";
    /** The prefix of every problem type URI; the rest names the kind of error. */
    public static final String TYPE_BASE = "https://tally.dev/problems/";

    public static Problem of(String slug, String title, int status, String detail) {
        return new Problem(TYPE_BASE + slug, title, status, detail, null, null, null);
    }

    public Problem withInstance(String path, String request) {
        return new Problem(type, title, status, detail, path, request, errors);
    }

    public Problem withErrors(List<InvalidEvent.FieldError> fieldErrors) {
        return new Problem(type, title, status, detail, instance, requestId, fieldErrors);
    }
}
