package dev.tally.ingest;

import io.restassured.RestAssured;
import io.restassured.builder.RequestSpecBuilder;

import java.time.Instant;
import java.util.UUID;

/** What the ingest tests share: a write key on every request, and events that are valid now. */
final class IngestTesting {
    static final String KEY = "test-key";

    static void authenticateEveryRequest() {
        RestAssured.requestSpecification = new RequestSpecBuilder().addHeader("Authorization", "Bearer " + KEY)
                .build();
    }

    static String event(String eventId, String userId, String pageId) {
        return """
                {"event_id":"%s","user_id":"%s","page_id":"%s","type":"view","event_time":"%s"}"""
                .formatted(eventId, userId, pageId, Instant.now().minusSeconds(60));
    }

    static String newId() {
        return UUID.randomUUID().toString();
    }

    private IngestTesting() {
    }
}
