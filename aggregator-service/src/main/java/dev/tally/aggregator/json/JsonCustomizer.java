package dev.tally.aggregator.json;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.json.InstantsModule;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * The aggregator reads and writes every record's timestamps with {@link dev.tally.contracts.json.IsoInstants}: the
 * hottest part of parsing them.
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
