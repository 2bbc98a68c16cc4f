package dev.tally.aggregator.store;

import dev.tally.aggregator.AggregatorConfig;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/** Keeps the memory of counted event ids to the dedup horizon, so that it does not grow without end. */
@ApplicationScoped
public class SeenEventPruner {
    private static final Logger LOG = Logger.getLogger(SeenEventPruner.class);

    @Inject
    StreamStateRepository repository;

    @Inject
    AggregatorConfig config;

    @Scheduled(every = "1h", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> prune() {
        return repository.pruneSeen(config.dedupHorizon())
                .invoke(count -> {
                    if (count > 0) {
                        LOG.infof("forgot %d event ids older than %s", count, config.dedupHorizon());
                    }
                })
                .onFailure().invoke(e -> LOG.warnf("pruning event ids failed, will retry: %s", e.toString()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }
}
