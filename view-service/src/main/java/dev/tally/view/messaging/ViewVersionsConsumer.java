package dev.tally.view.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.ViewVersionChange;
import dev.tally.view.store.ServingVersions;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Duration;

/**
 * Reads the {@code view-versions} control topic: each version's state as the aggregator announces it, recorded for
 * {@link ServingVersions}, which switches readers to a serving version once its page-stats are applied.
 */
@ApplicationScoped
public class ViewVersionsConsumer {
    private static final Logger LOG = Logger.getLogger(ViewVersionsConsumer.class);
    /** Channel of the {@code view-versions} topic. */
    public static final String VIEW_VERSIONS = "view-versions";

    @Inject
    ServingVersions serving;

    @Inject
    ObjectMapper json;

    @Incoming(VIEW_VERSIONS)
    public Uni<Void> consume(String value) {
        ViewVersionChange change;
        try {
            change = json.readValue(value, ViewVersionChange.class);
        } catch (Exception e) {
            LOG.warnf("a view-versions record is not a view version change, skipped: %s", e.getMessage());
            return Uni.createFrom().voidItem();
        }
        LOG.infof("view version %d is %s", change.version(), change.state());
        return serving.announced(change)
                .onFailure().invoke(e -> LOG.warnf("recording view version %d failed, retrying: %s",
                        change.version(), e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely();
    }
}
