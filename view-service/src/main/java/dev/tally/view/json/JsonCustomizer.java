package dev.tally.view.json;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.json.InstantsModule;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * view-service reads the timestamps of every result it applies with {@link dev.tally.contracts.json.IsoInstants}:
 * {@code DateTimeFormatter} had taken a tenth of the service's CPU.
 */
@Singleton
public class JsonCustomizer implements ObjectMapperCustomizer {

    /** Last, after Quarkus registered the Java time module: a module registered later takes precedence. */
    @Override
    public int priority() {
        return MINIMUM_PRIORITY;
    }

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.registerModule(new InstantsModule());
    }
}
