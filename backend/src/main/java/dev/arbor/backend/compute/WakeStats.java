package dev.arbor.backend.compute;

import dev.arbor.backend.metrics.Histogram;

import java.util.concurrent.atomic.LongAdder;

/**
 * Wake-ups: client connections that found their endpoint suspended and waited for compute to start it.
 * {@code latency} is that wait (volume mount plus postgres start); failures are wakes that ended in an error.
 */
public record WakeStats(LongAdder wakeups, LongAdder failures, Histogram latency) {
    public WakeStats() { this(new LongAdder(), new LongAdder(), new Histogram(Histogram.SLOW_SECONDS)); }

    void record(long startNanos, boolean ok) {
        if (ok) {
            wakeups.increment();
            latency.recordNanos(System.nanoTime() - startNanos);
        } else {
            failures.increment();
        }
    }
}
