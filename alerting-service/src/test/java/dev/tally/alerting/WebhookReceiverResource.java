package dev.tally.alerting;

import dev.tally.testkit.WebhookReceiver;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/** A real webhook receiver, and the rule that points at it, for the alerting tests. */
public class WebhookReceiverResource implements QuarkusTestResourceLifecycleManager {
    static final String RULE_PAGE = "alert-page";
    static final long THRESHOLD = 10;
    static WebhookReceiver receiver;

    @Override
    public Map<String, String> start() {
        receiver = new WebhookReceiver();
        return Map.of("tally.alerting.webhook-url", receiver.url(),
                "tally.alerting.rule.page-id", RULE_PAGE,
                "tally.alerting.rule.views-above", Long.toString(THRESHOLD));
    }

    @Override
    public void stop() {
        receiver.close();
    }
}
