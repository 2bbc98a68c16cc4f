package dev.tally.bench;

import static dev.tally.bench.Md.seconds;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The CPU that the client, ingest-service and the stack used during one measured window, read when the window
 * opens and closes; it also starts the optional JFR recording of the service when the window opens.
 */
final class CpuWindow implements HttpLoad.Window {
    private final ProcessHandle ingest;
    private final ProcessHandle stack;
    private final Runnable onOpen;
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile Snapshot start;
    private volatile Snapshot end;

    /**
     * Cores used on average in the window (1.0 is one core busy all the time), the machine's busy share, and what
     * processes outside this run used (the machine is shared: another build running meanwhile shows up here).
     */
    record Use(double clientCores, double clientLoopShare, double ingestCores, double stackCores,
               double machineBusy) {

        double otherCores() {
            return Math.max(0, machineBusy * Runtime.getRuntime().availableProcessors()
                    - clientCores - ingestCores - stackCores);
        }
    }

    private record Snapshot(long nanos, Duration client, Duration ingest, Duration stack, Optional<long[]> machine) {
    }

    CpuWindow(ProcessHandle ingest, ProcessHandle stack, Runnable onOpen) {
        this.ingest = ingest;
        this.stack = stack;
        this.onOpen = onOpen;
    }

    @Override
    public void opened() {
        start = snapshot();
        onOpen.run();
    }

    @Override
    public void closed() {
        end = snapshot();
        closed.countDown();
    }

    /** The use over the window; {@code loopCpu} is what the client's event-loop thread used in it. */
    Use use(HttpLoad.Result result) throws InterruptedException {
        if (!closed.await(30, TimeUnit.SECONDS) || start == null) {
            return new Use(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double wall = (end.nanos - start.nanos) / 1e9;
        return new Use(seconds(end.client.minus(start.client)) / wall,
                seconds(result.clientLoopCpu()) / (result.window().toNanos() / 1e9),
                seconds(end.ingest.minus(start.ingest)) / wall,
                seconds(end.stack.minus(start.stack)) / wall,
                CpuMeter.machineBusy(start.machine, end.machine));
    }

    private Snapshot snapshot() {
        return new Snapshot(System.nanoTime(), CpuMeter.process(ProcessHandle.current()), CpuMeter.process(ingest),
                CpuMeter.tree(stack), CpuMeter.machine());
    }
}
