package dev.tally.alerting.domain;

import dev.tally.contracts.AlertEvent;
import dev.tally.contracts.WindowResult;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Fires when the views of one page in a window of one definition (kind and size, the daily window by default) go
 * above a threshold. The fingerprint names the alert (rule, page,
 * window), so the same crossing seen again, in a newer version of the same window, is the same alert.
 */
public record ThresholdRule(String id, String pageId, long viewsAbove, String windowKind, String windowSize) {

    /** The alert this result raises, if it raises one. */
    public Optional<AlertEvent> evaluate(WindowResult result, Instant now) {
        if (!pageId.equals(result.pageId()) || !windowKind.equals(result.window().kind())
                || !windowSize.equals(result.window().size()) || result.views() <= viewsAbove) {
            return Optional.empty();
        }
        return Optional.of(new AlertEvent(fingerprint(result), id, "firing", result.pageId(), result.window(),
                result.views(), viewsAbove, now));
    }

    String fingerprint(WindowResult result) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(
                    (id + "\n" + result.pageId() + "\n" + result.window().key()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
