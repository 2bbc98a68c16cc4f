package dev.tally.aggregator.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.time.DateTimeException;
import java.time.Instant;

/** The aggregator reads every record's timestamps with {@link IsoInstants}: the hottest part of parsing them. */
@Singleton
public class JsonCustomizer implements ObjectMapperCustomizer {

    /** Last, after Quarkus registered the Java time module: a module registered later takes precedence. */
    @Override
    public int priority() {
        return MINIMUM_PRIORITY;
    }

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.registerModule(new SimpleModule("tally-instants").addDeserializer(Instant.class, new Instants()));
    }

    /** Strings through {@link IsoInstants}; anything else (epoch numbers) as Jackson's own deserializer does. */
    static final class Instants extends StdScalarDeserializer<Instant> {
        Instants() {
            super(Instant.class);
        }

        @Override
        public Instant deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            if (parser.currentToken() == JsonToken.VALUE_STRING) {
                String text = parser.getText().trim();
                try {
                    return IsoInstants.parse(text);
                } catch (DateTimeException e) {
                    return (Instant) context.handleWeirdStringValue(Instant.class, text, "not an ISO-8601 instant: %s",
                            e.getMessage());
                }
            }
            return InstantDeserializer.INSTANT.deserialize(parser, context);
        }
    }
}
