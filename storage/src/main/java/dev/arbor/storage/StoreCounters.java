package dev.arbor.storage;

/**
 * Running totals of the store's maintenance since it was opened (plain values: the backend exports
 * them as metrics; the store itself knows no metrics library).
 *
 * @param gcRuns             completed {@link PageStore#gc} passes, background or explicit
 * @param gcLayersRemoved    layer files GC removed
 * @param gcBytesRemoved     bytes of those files
 * @param compactionRuns     compaction passes over a timeline (background or {@link PageStore#compact})
 * @param imageLayersWritten image layers those passes wrote
 */
public record StoreCounters(long gcRuns, long gcLayersRemoved, long gcBytesRemoved, long compactionRuns,
                            long imageLayersWritten) {}
