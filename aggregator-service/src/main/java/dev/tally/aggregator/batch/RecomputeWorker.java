package dev.tally.aggregator.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.aggregator.AggregatorConfig;
import dev.tally.aggregator.store.BatchRunRepository;
import dev.tally.aggregator.store.BatchRunRepository.TaskResult;
import dev.tally.aggregator.store.BatchRunRepository.TaskStart;
import dev.tally.contracts.RecomputeTask;
import dev.tally.contracts.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Takes RecomputeTasks from the AMQP work queue {@code recompute-tasks}, competing with every other aggregator
 * replica, and runs each: reads its range of {@code clicks}, counts it, and stores the partial summary (replacing
 * any earlier attempt's) in the transaction that marks the task done. The message is settled only afterwards:
 * a task that fails is nacked (modified, delivery failed) and the broker redelivers it; a task whose worker dies
 * is unsettled and the broker redelivers it to another worker. The worker that finishes a run's last task
 * completes the run (see {@link BatchRunRepository#completeIfLast}).
 * <p>
 * A task is a whole partition. Users are the key of {@code clicks}, so a retried event (same event id, same user)
 * is in the same partition as its first copy, and one user's events are all in one partition: per task, counting
 * each event id once is counting it once in the run, and the tasks' sets of users are disjoint, so the partials'
 * unique users simply add up. (If the partition count of {@code clicks} grew, users that moved would be counted in
 * two partitions; the run does not correct for that.)
 */
@ApplicationScoped
public class RecomputeWorker {
    private static final Logger LOG = Logger.getLogger(RecomputeWorker.class);
    /** Channel of the {@code recompute-tasks} queue, incoming side. */
    public static final String TASKS_IN = "recompute-tasks-in";

    @Inject
    ObjectMapper json;

    @Inject
    BatchRunRepository runs;

    @Inject
    SummaryPublisher publisher;

    @Inject
    BatchConfig config;

    @Inject
    AggregatorConfig aggregator;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private final String worker = workerName();
    private final Counter tasksDone;
    private final Counter tasksFailed;
    private final Counter eventsRead;
    private final Counter runsCompleted;

    @Inject
    public RecomputeWorker(MeterRegistry registry) {
        tasksDone = registry.counter("tally.aggregator.batch.tasks.done");
        tasksFailed = registry.counter("tally.aggregator.batch.tasks.failed");
        eventsRead = registry.counter("tally.aggregator.batch.events.read");
        runsCompleted = registry.counter("tally.aggregator.batch.runs.completed");
    }

    /** This process, as the status endpoint names the worker of a task. */
    public String worker() {
        return worker;
    }

    @Incoming(TASKS_IN)
    @Blocking
    public void process(String message) throws InterruptedException {
        RecomputeTask task;
        try {
            task = json.readValue(message, RecomputeTask.class);
        } catch (Exception e) {
            // no retry can fix a message that does not parse: settle it loudly rather than poison the queue
            LOG.errorf("a recompute-tasks message is unreadable, dropped: %s", e.getMessage());
            return;
        }
        String name = "batch run " + task.runId() + " task " + task.taskId();
        TaskStart start = runs.start(task.runId(), task.taskId(), worker).await().indefinitely();
        if (!start.found()) {
            LOG.warnf("%s is not known here, dropped", name);
            return;
        }
        if (!BatchRunRepository.RUNNING.equals(start.runState())) {
            LOG.infof("%s: the run is %s, nothing to do", name, start.runState());
            return;
        }
        if (!BatchRunRepository.DONE.equals(start.taskState())) {
            if (start.attempts() > config.maxAttempts()) {
                LOG.errorf("%s failed %d times; the run fails", name, start.attempts() - 1);
                runs.fail(task.runId(), task.taskId(), "gave up after " + (start.attempts() - 1) + " attempts")
                        .await().indefinitely();
                return;
            }
            try {
                run(task, start, name);
            } catch (RuntimeException e) {
                tasksFailed.increment();
                LOG.warnf("%s (attempt %d) failed, the broker will redeliver it: %s", name, start.attempts(),
                        e.toString());
                Thread.sleep(config.retryBackoff().multipliedBy(start.attempts()).toMillis());
                throw e;
            }
        } else {
            LOG.infof("%s was done already (a redelivery); checking whether the run is complete", name);
        }
        try {
            complete(task.runId());
        } catch (RuntimeException e) {
            // the task's result is stored; the message goes back so that the run's completion is tried again
            LOG.warnf("batch run %s could not be completed yet, the broker will redeliver %s: %s", task.runId(),
                    name, e.toString());
            Thread.sleep(config.retryBackoff().toMillis());
            throw e;
        }
    }

    private void run(RecomputeTask task, TaskStart start, String name) {
        publisher.warmUp();
        LOG.infof("%s started on %s (attempt %d): clicks partition %d, offsets %d to %d", name, worker,
                start.attempts(), task.partition(), start.fromOffset(), start.toOffset());
        long started = System.nanoTime();
        long[] counted = {0};
        PartitionScan.Result result = new PartitionScan(bootstrap, config).scan(Topics.CLICKS, task.partition(),
                start.fromOffset(), start.toOffset(), name, (next, read) -> {
                    eventsRead.increment(read - counted[0]);
                    counted[0] = read;
                    runs.progress(task.runId(), task.taskId(), worker, next, read)
                            .onFailure().invoke(e -> LOG.debugf("progress of %s not recorded: %s", name, e))
                            .onFailure().recoverWithNull().await().indefinitely();
                });
        eventsRead.increment(result.recordsRead() - counted[0]);
        long max = result.counts().maxEventTimeMillis();
        runs.storeResult(task.runId(), task.taskId(), worker, new TaskResult(result.recordsRead(),
                result.counts().events(), result.counts().duplicates(), result.unreadable(),
                max == Long.MIN_VALUE ? null : Instant.ofEpochMilli(max), result.counts().rows()))
                .await().indefinitely();
        tasksDone.increment();
        double seconds = (System.nanoTime() - started) / 1e9;
        LOG.infof("%s done on %s: %d records (%d events, %d duplicates, %d unreadable) in %.1f s, %.0f records/s",
                name, worker, result.recordsRead(), result.counts().events(), result.counts().duplicates(),
                result.unreadable(), seconds, result.recordsRead() / Math.max(seconds, 1e-9));
    }

    /** Completes the run if this was its last task; exactly once however many workers try at the same time. */
    void complete(String runId) {
        long started = System.nanoTime();
        int partitions = publisher.partitions();
        Duration outOfOrderness = aggregator.outOfOrderness();
        long[] merged = {0};
        Optional<BatchRunRepository.Completion> completed = runs.completeIfLast(runId, outOfOrderness,
                completion -> {
                    merged[0] = System.nanoTime();
                    return publisher.publish(completion, partitions);
                }).await().indefinitely();
        completed.ifPresent(c -> {
            runsCompleted.increment();
            long done = System.nanoTime();
            LOG.infof("batch run %s completed: %d rows published to page-summaries, horizon %s, complete until %s "
                            + "(merged in %d ms, published and committed in %d ms)", runId, c.rows().size(),
                    c.horizon(), c.completeUntil(), (merged[0] - started) / 1_000_000, (done - merged[0]) / 1_000_000);
        });
    }

    private static String workerName() {
        String host = System.getenv("HOSTNAME");
        return "pid-" + ProcessHandle.current().pid() + "@" + (host == null || host.isBlank() ? "localhost" : host);
    }
}
