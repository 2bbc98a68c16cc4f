package dev.tally.aggregator.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.aggregator.store.BatchRunRepository;
import dev.tally.aggregator.store.BatchRunRepository.TaskPlan;
import dev.tally.contracts.RecomputeTask;
import dev.tally.contracts.Topics;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.amqp.OutgoingAmqpMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Starts batch runs: captures the horizon (the end offset of every {@code clicks} partition, now), records the run
 * and one task per partition, and puts the tasks on the AMQP work queue {@code recompute-tasks}, where every
 * aggregator replica's {@link RecomputeWorker} competes for them.
 */
@ApplicationScoped
public class BatchRunService {
    private static final Logger LOG = Logger.getLogger(BatchRunService.class);
    /** Channel of the {@code recompute-tasks} queue, outgoing side. */
    public static final String TASKS_OUT = "recompute-tasks-out";
    private static final DateTimeFormatter RUN_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration QUEUE_TIMEOUT = Duration.ofSeconds(30);

    /** Kafka or the queue could not take the run; nothing was started (or the run was marked failed). */
    public static final class Unavailable extends RuntimeException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Inject
    @Channel(TASKS_OUT)
    MutinyEmitter<String> tasks;

    @Inject
    BatchRunRepository runs;

    @Inject
    RecomputeWorker worker;

    @Inject
    ObjectMapper json;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    /** Starts a run over {@code clicks} up to its end offsets now; returns the run's id. Blocking. */
    public String start() {
        String runId = "run-" + ZonedDateTime.now(ZoneOffset.UTC).format(RUN_TIME) + "-"
                + String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
        List<TaskPlan> plan = plan();
        runs.create(runId, plan).await().atMost(QUEUE_TIMEOUT);
        long records = plan.stream().mapToLong(t -> t.toOffset() - t.fromOffset()).sum();
        try {
            List<Uni<Void>> sends = new ArrayList<>();
            for (TaskPlan task : plan) {
                String message = json.writeValueAsString(new RecomputeTask(runId, task.taskId(), task.partition(),
                        task.fromOffset(), task.toOffset()));
                sends.add(tasks.sendMessage(Message.of(message)
                        .addMetadata(OutgoingAmqpMetadata.builder().withDurable(true).build())));
            }
            Uni.join().all(sends).andFailFast().await().atMost(QUEUE_TIMEOUT);
        } catch (RuntimeException | JsonProcessingException e) {
            runs.failRun(runId, "its tasks could not be enqueued: " + e.getMessage()).await().atMost(QUEUE_TIMEOUT);
            throw new Unavailable("the tasks of batch run " + runId + " could not be put on the AMQP queue "
                    + "recompute-tasks: " + e.getMessage(), e);
        }
        Map<Integer, Long> horizon = new TreeMap<>();
        plan.forEach(t -> horizon.put(t.partition(), t.toOffset()));
        LOG.infof("batch run %s started: %d tasks on recompute-tasks, %d records of clicks up to the horizon %s",
                runId, plan.size(), records, horizon);
        if (plan.isEmpty()) {
            worker.complete(runId);
        }
        return runId;
    }

    /** One task per partition of {@code clicks}: from its first offset to its end offset now (the horizon). */
    private List<TaskPlan> plan() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "tally-batch-horizon");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<PartitionInfo> infos = consumer.partitionsFor(Topics.CLICKS, KAFKA_TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                throw new Unavailable("the topic clicks has no partitions", null);
            }
            List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(Topics.CLICKS,
                    i.partition())).sorted(java.util.Comparator.comparingInt(TopicPartition::partition)).toList();
            Map<TopicPartition, Long> first = consumer.beginningOffsets(partitions, KAFKA_TIMEOUT);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, KAFKA_TIMEOUT);
            List<TaskPlan> plan = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                plan.add(new TaskPlan("p" + tp.partition(), tp.partition(), first.get(tp), end.get(tp)));
            }
            return plan;
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new Unavailable("Kafka did not give the end offsets of clicks: " + e.getMessage(), e);
        }
    }
}
