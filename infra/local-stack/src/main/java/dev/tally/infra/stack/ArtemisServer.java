package dev.tally.infra.stack;

import dev.tally.contracts.Queues;
import org.apache.activemq.artemis.api.core.QueueConfiguration;
import org.apache.activemq.artemis.api.core.RoutingType;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.CoreAddressConfiguration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.JournalType;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.apache.activemq.artemis.api.core.SimpleString;

import java.nio.file.Path;

/**
 * A real ActiveMQ Artemis broker speaking AMQP 1.0, persistent, with Tally's work queues declared ANYCAST so that
 * competing consumers share messages instead of each getting a copy. Webhook deliveries are redelivered with
 * exponential backoff and dead-lettered after their last attempt by the broker itself.
 */
final class ArtemisServer implements AutoCloseable {
    private final EmbeddedActiveMQ broker;

    private ArtemisServer(EmbeddedActiveMQ broker) {
        this.broker = broker;
    }

    static ArtemisServer start(Path dataDir, int port) throws Exception {
        Configuration config = new ConfigurationImpl()
                .setName("tally")
                .setPersistenceEnabled(true)
                .setSecurityEnabled(false)
                .setJMXManagementEnabled(false)
                .setJournalType(JournalType.NIO)
                .setJournalDirectory(dataDir.resolve("journal").toString())
                .setBindingsDirectory(dataDir.resolve("bindings").toString())
                .setLargeMessagesDirectory(dataDir.resolve("large-messages").toString())
                .setPagingDirectory(dataDir.resolve("paging").toString())
                .addAcceptorConfiguration("amqp", "tcp://127.0.0.1:" + port + "?protocols=AMQP");
        for (String queue : Queues.ALL) {
            config.addAddressConfiguration(new CoreAddressConfiguration()
                    .setName(queue)
                    .addRoutingType(RoutingType.ANYCAST)
                    .addQueueConfiguration(QueueConfiguration.of(queue).setRoutingType(RoutingType.ANYCAST)));
        }
        config.addAddressSetting("#", new AddressSettings()
                .setDefaultAddressRoutingType(RoutingType.ANYCAST)
                .setDefaultQueueRoutingType(RoutingType.ANYCAST));
        config.addAddressSetting(Queues.WEBHOOK_DELIVERIES, new AddressSettings()
                .setDefaultAddressRoutingType(RoutingType.ANYCAST)
                .setDefaultQueueRoutingType(RoutingType.ANYCAST)
                .setMaxDeliveryAttempts(Queues.WEBHOOK_MAX_ATTEMPTS)
                .setRedeliveryDelay(500)
                .setRedeliveryMultiplier(2.0)
                .setMaxRedeliveryDelay(60_000)
                .setDeadLetterAddress(SimpleString.of(Queues.WEBHOOK_DELIVERIES_DLQ)));
        EmbeddedActiveMQ broker = new EmbeddedActiveMQ();
        broker.setConfiguration(config);
        broker.start();
        return new ArtemisServer(broker);
    }

    @Override
    public void close() throws Exception {
        broker.stop();
    }
}
