package dev.arbor.backend.twin;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code tick} every {@code periodMillis} on a virtual thread until closed. Closing waits for a running
 * tick instead of interrupting it: an interrupt would close the tick's metadata connection mid-query.
 */
final class Ticker implements AutoCloseable {
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread thread;

    private Ticker(String name, long periodMillis, Runnable tick) {
        thread = Thread.ofVirtual().name(name).start(() -> {
            try {
                while (!stop.await(periodMillis, TimeUnit.MILLISECONDS)) {
                    try {
                        tick.run();
                    } catch (RuntimeException e) {
                        // progress is best effort: the next tick, line or phase change reports again
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    static Ticker every(String name, long periodMillis, Runnable tick) { return new Ticker(name, periodMillis, tick); }

    @Override
    public void close() throws InterruptedException {
        stop.countDown();
        thread.join();
    }
}
