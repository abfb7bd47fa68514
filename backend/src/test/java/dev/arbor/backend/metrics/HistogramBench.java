package dev.arbor.backend.metrics;

import java.util.concurrent.CountDownLatch;

/**
 * What timing a FUSE callback costs: two {@code System.nanoTime()} calls plus one {@link Histogram#recordNanos},
 * on one thread and on two threads hitting the same histogram (FUSE runs callbacks on several threads).
 * Prints ns per timed operation; compare with a FUSE read of a cached page (tens of µs) in docs/performance.md.
 *
 * <pre>./mvnw -q -pl backend test-compile && java -cp backend/target/test-classes:backend/target/classes dev.arbor.backend.metrics.HistogramBench</pre>
 */
public final class HistogramBench {
    private static volatile long sink;

    public static void main(String[] args) throws Exception {
        Histogram h = new Histogram(Histogram.FUSE_SECONDS);
        for (int round = 0; round < 3; round++) {
            System.out.printf("round %d: nanoTime pair %.1f ns, timed op 1 thread %.1f ns, timed op 2 threads %.1f ns/op%n",
                    round, nanoTimePair(20_000_000), timed(h, 1, 20_000_000), timed(h, 2, 20_000_000));
        }
        System.out.println("observations recorded: " + h.count());
    }

    private static double nanoTimePair(int n) {
        long t0 = System.nanoTime(), acc = 0;
        for (int i = 0; i < n; i++) acc += System.nanoTime() - System.nanoTime();
        sink = acc;
        return (System.nanoTime() - t0) / (double) n;
    }

    private static double timed(Histogram h, int threads, int perThread) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            ts[t] = Thread.ofPlatform().start(() -> {
                try { start.await(); } catch (InterruptedException e) { return; }
                for (int i = 0; i < perThread; i++) {
                    long s = System.nanoTime();
                    h.recordNanos(System.nanoTime() - s + (i & 0xfff) * 50L);  // spread over the low buckets
                }
            });
        }
        long t0 = System.nanoTime();
        start.countDown();
        for (Thread t : ts) t.join();
        return (System.nanoTime() - t0) / (double) perThread;
    }
}
