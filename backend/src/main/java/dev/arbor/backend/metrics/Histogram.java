package dev.arbor.backend.metrics;

import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Prometheus histogram of durations with fixed bucket bounds. {@link #recordNanos} is what hot paths
 * (FUSE callbacks, every API request) call: a scan of a dozen longs and two {@link LongAdder} increments,
 * no allocation and no lock. Buckets are kept per bound (not cumulative) and summed at scrape time.
 */
public final class Histogram {
    /** API calls: 1 ms .. 10 s. */
    public static final double[] API_SECONDS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    /** Endpoint wake-ups and operations: a postgres start is 0.1 s .. tens of seconds. */
    public static final double[] SLOW_SECONDS = {0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120};
    /** FUSE callbacks: a page-cache hit is microseconds, an fsync of the store milliseconds. */
    public static final double[] FUSE_SECONDS = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
            0.005, 0.01, 0.025, 0.1, 1};

    private final double[] boundsSeconds;
    private final long[] boundsNanos;
    private final LongAdder[] buckets;  // buckets[i]: observations in (bound[i-1], bound[i]]; the last one is +Inf
    private final LongAdder sumNanos = new LongAdder();

    public Histogram(double[] boundsSeconds) {
        this.boundsSeconds = boundsSeconds.clone();
        this.boundsNanos = new long[boundsSeconds.length];
        for (int i = 0; i < boundsSeconds.length; i++) {
            if (i > 0 && boundsSeconds[i] <= boundsSeconds[i - 1]) throw new IllegalArgumentException("bounds must increase");
            boundsNanos[i] = Math.round(boundsSeconds[i] * 1e9);
        }
        this.buckets = new LongAdder[boundsSeconds.length + 1];
        for (int i = 0; i < buckets.length; i++) buckets[i] = new LongAdder();
    }

    public void recordNanos(long nanos) {
        long n = Math.max(0, nanos);
        int i = 0;
        while (i < boundsNanos.length && n > boundsNanos[i]) i++;
        buckets[i].increment();
        sumNanos.add(n);
    }

    /** A consistent-enough copy for exposition: cumulative counts per bound, then +Inf (= count). */
    public Snapshot snapshot() {
        long[] cumulative = new long[buckets.length];
        long running = 0;
        for (int i = 0; i < buckets.length; i++) {
            running += buckets[i].sum();
            cumulative[i] = running;
        }
        return new Snapshot(boundsSeconds.clone(), cumulative, sumNanos.sum() / 1e9);
    }

    public long count() {
        long c = 0;
        for (LongAdder b : buckets) c += b.sum();
        return c;
    }

    /** @param cumulative one count per bound plus the +Inf bucket (the total count) last */
    public record Snapshot(double[] bounds, long[] cumulative, double sumSeconds) {
        public long count() { return cumulative[cumulative.length - 1]; }

        @Override public String toString() {
            return "Snapshot[count=" + count() + ", sum=" + sumSeconds + ", cumulative=" + Arrays.toString(cumulative) + "]";
        }
    }
}
