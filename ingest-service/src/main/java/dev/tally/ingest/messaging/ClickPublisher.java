package dev.tally.ingest.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.Headers;
import dev.tally.contracts.InvalidEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import java.nio.charset.StandardCharsets;

/**
 * Writes bad rows to {@code clicks.invalid}. The returned {@link Uni} completes only when Kafka has acknowledged
 * the record (acks=all). Accepted events take the faster path of {@link ClickLog}.
 */
@ApplicationScoped
public class ClickPublisher {
    /** Channel of the {@code clicks.invalid} topic. */
    public static final String CLICKS_INVALID = "clicks-invalid";

    @Inject
    @Channel(CLICKS_INVALID)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024)
    MutinyEmitter<String> invalid;

    @Inject
    ObjectMapper json;

    public Uni<Void> publishInvalid(InvalidEvent bad) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(Headers.SCHEMA_VERSION, bytes(Integer.toString(InvalidEvent.SCHEMA_VERSION)));
        return invalid.sendMessage(Message.of(write(bad)).addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                .withHeaders(headers).build()));
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a contract record failed to serialize", e);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
