package dev.tally.contracts.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdScalarSerializer;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;

import java.io.IOException;
import java.time.Instant;

/**
 * Jackson reads and writes {@link Instant}s with {@link IsoInstants}: the same text as the Java time module's
 * ISO-8601 strings, without {@code DateTimeFormatter}. A service registers it after Quarkus registered the Java time
 * module (a module registered later takes precedence), with an {@code ObjectMapperCustomizer} of the lowest
 * priority. Any other text, and numbers (epoch seconds), are still read as the Java time module reads them.
 */
public final class InstantsModule extends SimpleModule {

    public InstantsModule() {
        super("tally-instants");
        addDeserializer(Instant.class, new Reader());
        addSerializer(Instant.class, new Writer());
    }

    /**
     * Text in {@code Instant.toString()}'s form through {@link IsoInstants}; anything else (offsets, epoch numbers,
     * empty text, errors) exactly as the Java time module's own deserializer reads it.
     */
    static final class Reader extends StdScalarDeserializer<Instant> {
        Reader() {
            super(Instant.class);
        }

        @Override
        public Instant deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            if (parser.currentToken() == JsonToken.VALUE_STRING) {
                Instant fast = IsoInstants.utc(parser.getText());
                if (fast != null) {
                    return fast;
                }
            }
            return InstantDeserializer.INSTANT.deserialize(parser, context);
        }
    }

    /** {@code Instant.toString()}'s text, through {@link IsoInstants#format}. */
    static final class Writer extends StdScalarSerializer<Instant> {
        Writer() {
            super(Instant.class);
        }

        @Override
        public void serialize(Instant value, JsonGenerator generator, SerializerProvider provider) throws IOException {
            generator.writeString(IsoInstants.format(value));
        }
    }
}
