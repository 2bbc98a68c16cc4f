package dev.tally.testkit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.HashMap;
import java.util.Map;

/**
 * Points a {@code @QuarkusTest} at the real local stack, started once per test JVM. Test classes that share this
 * resource share one application start; they keep apart by using their own ids (pages, users, events).
 */
public class TallyStackResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(LocalStackProcess.start().quarkusProperties());
        config.put("quarkus.http.test-port", "0");
        return config;
    }

    @Override
    public void stop() {
        // the stack lives as long as the test JVM, so that every test class reuses it
    }
}
