package dev.arbor.storage;

import java.time.Duration;
import java.time.InstantSource;

/**
 * Tuning of a {@link PageStore}.
 *
 * @param openLayerBytes   size of a timeline's in-memory open layer before it is frozen and flushed to a delta layer
 * @param imageThreshold   background compaction writes an image layer once this many delta layers sit above the newest image
 * @param defaultHistoryWindow history window of timelines created without one
 * @param background       interval of the single background thread (flush, compaction, GC); {@code null} = everything synchronous
 * @param gcInterval       how often the background thread runs GC
 * @param clock            wall clock of the LSN/time index and history windows (tests drive it by hand)
 * @param memoryBudgetBytes open and frozen layers of all timelines together, in memory until flushed; over it, the
 *                         background thread freezes the largest open layers early (0: a quarter of the JVM's heap)
 */
public record StoreConfig(long openLayerBytes, int imageThreshold, Duration defaultHistoryWindow,
                          Duration background, Duration gcInterval, InstantSource clock, long memoryBudgetBytes) {
    public StoreConfig {
        if (openLayerBytes < 4096) throw new IllegalArgumentException("openLayerBytes too small: " + openLayerBytes);
        if (imageThreshold < 1) throw new IllegalArgumentException("imageThreshold must be >= 1");
        if (defaultHistoryWindow == null || defaultHistoryWindow.isNegative())
            throw new IllegalArgumentException("defaultHistoryWindow must be >= 0");
        if (gcInterval == null) gcInterval = Duration.ofMinutes(10);
        if (clock == null) clock = InstantSource.system();
        if (memoryBudgetBytes < 0) throw new IllegalArgumentException("memoryBudgetBytes must be >= 0");
        if (memoryBudgetBytes == 0) memoryBudgetBytes = Runtime.getRuntime().maxMemory() / 4;
    }

    public StoreConfig(long openLayerBytes, int imageThreshold, Duration defaultHistoryWindow, Duration background, Duration gcInterval) {
        this(openLayerBytes, imageThreshold, defaultHistoryWindow, background, gcInterval, InstantSource.system(), 0);
    }

    /** 64 MiB open layers, image after 3 deltas, 1 day history, no background thread. */
    public static StoreConfig defaults() {
        return new StoreConfig(64L << 20, 3, Duration.ofDays(1), null, Duration.ofMinutes(10));
    }

    /**
     * What a server should run: the background thread (flush/compaction every second, GC every 10 minutes) and 256 MiB
     * open layers, a quarter as many freezes, delta flushes and image rewrites under a steady write load (measured:
     * server CPU per pgbench rw transaction 197 -> 138 us); the memory budget bounds their sum over all timelines.
     */
    public static StoreConfig server() {
        return defaults().withOpenLayerBytes(256L << 20).withBackground(Duration.ofSeconds(1), Duration.ofMinutes(10));
    }

    public StoreConfig withOpenLayerBytes(long v) { return new StoreConfig(v, imageThreshold, defaultHistoryWindow, background, gcInterval, clock, memoryBudgetBytes); }
    public StoreConfig withImageThreshold(int v) { return new StoreConfig(openLayerBytes, v, defaultHistoryWindow, background, gcInterval, clock, memoryBudgetBytes); }
    public StoreConfig withDefaultHistoryWindow(Duration v) { return new StoreConfig(openLayerBytes, imageThreshold, v, background, gcInterval, clock, memoryBudgetBytes); }
    public StoreConfig withBackground(Duration interval, Duration gc) { return new StoreConfig(openLayerBytes, imageThreshold, defaultHistoryWindow, interval, gc, clock, memoryBudgetBytes); }
    public StoreConfig withMemoryBudget(long bytes) { return new StoreConfig(openLayerBytes, imageThreshold, defaultHistoryWindow, background, gcInterval, clock, bytes); }
    public StoreConfig withClock(InstantSource c) { return new StoreConfig(openLayerBytes, imageThreshold, defaultHistoryWindow, background, gcInterval, c, memoryBudgetBytes); }
}
