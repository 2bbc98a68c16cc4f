package dev.tally.aggregator.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.WindowRef;
import dev.tally.contracts.WindowResult;
import dev.tally.testkit.TallyStackResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Stage 2 writes page-stats by hand: the bytes must be the service's own {@code ObjectMapper}'s (the one Quarkus
 * configured, with Tally's customizer), for any result, nulls and groups included.
 */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
class WindowResultJsonTest {

    @Inject
    ObjectMapper mapper;

    @Test
    void writesTheMappersBytesForAnyResult() throws Exception {
        WindowResultJson json = new WindowResultJson(mapper.getFactory());
        Random random = new Random(20261124);
        for (int i = 0; i < 2_000; i++) {
            WindowResult result = randomResult(random);
            byte[] expected = mapper.writeValueAsBytes(result);
            byte[] written = json.write(result);
            if (!Arrays.equals(expected, written)) { // as text, to show where they differ
                assertEquals(new String(expected, StandardCharsets.UTF_8), new String(written, StandardCharsets.UTF_8),
                        "result " + i);
            }
            assertArrayEquals(expected, written, "result " + i);
        }
    }

    private static WindowResult randomResult(Random random) {
        boolean grouped = random.nextInt(4) == 0;
        Instant start = Instant.ofEpochMilli(1_700_000_000_000L + random.nextInt(1_000_000) * 1_000L
                + (random.nextBoolean() ? random.nextInt(1_000) : 0));
        WindowRef window = switch (random.nextInt(4)) {
            case 0 -> new WindowRef("tumbling", "PT1M", start, start.plusSeconds(60));
            case 1 -> new WindowRef("hopping", "PT5M", "PT1M", start, start.plusSeconds(300));
            case 2 -> new WindowRef("sliding", "PT10S", "PT1S", start, start.plusMillis(10_000));
            default -> WindowRef.utcDay(start);
        };
        Map<Integer, Long> offsets = null;
        if (random.nextInt(5) != 0) {
            offsets = new LinkedHashMap<>();
            for (int p = 0; p < 12; p++) {
                if (random.nextBoolean()) {
                    offsets.put(p, random.nextInt(50) == 0 ? null
                            : (long) random.nextInt(Integer.MAX_VALUE) * (random.nextBoolean() ? 1 : 1_000));
                }
            }
        }
        boolean exact = random.nextBoolean();
        BigDecimal sum = switch (random.nextInt(5)) {
            case 0 -> null;
            case 1 -> BigDecimal.ZERO;
            case 2 -> BigDecimal.valueOf(random.nextDouble() * 1e6 - 5e5);
            case 3 -> new BigDecimal("1E+3");
            default -> BigDecimal.valueOf(random.nextLong(), random.nextInt(6));
        };
        String page = "/page-" + random.nextInt(1_000) + (random.nextBoolean() ? "?q=\"é\"" : "");
        return new WindowResult(grouped ? null : page, window, random.nextInt(100_000), random.nextInt(50_000),
                random.nextLong() & Long.MAX_VALUE,
                random.nextBoolean(), random.nextInt(6) == 0 ? null : start.plusMillis(random.nextInt(100_000)),
                offsets, Instant.now().plusNanos(random.nextInt(1_000_000)),
                random.nextInt(8) == 0 ? null : exact ? "exact" : "hll",
                random.nextInt(8) == 0 ? null : exact ? 0.0 : random.nextDouble() / 10, sum,
                grouped ? "attrs.country" : null, grouped ? (random.nextBoolean() ? "de" : "") : null);
    }
}
