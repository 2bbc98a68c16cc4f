package dev.tally.ingest.rest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The write keys a client may present. A key is compared in constant time and never logged: logs and metrics
 * name a key by a short fingerprint of its hash instead.
 */
final class WriteKeys {
    private final List<byte[]> keys;

    WriteKeys(List<String> keys) {
        this.keys = keys.stream().map(String::trim).filter(k -> !k.isEmpty())
                .map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
        if (this.keys.isEmpty()) {
            throw new IllegalStateException("no write key is configured: set TALLY_INGEST_KEYS (comma-separated)");
        }
    }

    /** The fingerprint of the key in an {@code Authorization} header, if it is a known key. */
    Optional<String> authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        byte[] presented = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        boolean known = false;
        for (byte[] key : keys) {
            known |= MessageDigest.isEqual(key, presented); // no early exit: timing says nothing about which key
        }
        return known ? Optional.of(fingerprint(presented)) : Optional.empty();
    }

    static String fingerprint(byte[] key) {
        try {
            return "key-" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key), 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
