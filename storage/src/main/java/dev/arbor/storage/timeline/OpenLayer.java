package dev.arbor.storage.timeline;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The in-memory layer of a timeline: every version appended since the last freeze, by key. Backed by
 * {@link #log}; frozen (made read-only) when it grows past the configured size, then flushed to a
 * delta layer. Reads of recent pages are served from here.
 */
final class OpenLayer {
    /** Versions of one key, LSN-ascending. */
    static final class Versions {
        private long[] lsns = new long[2];
        private byte[][] values = new byte[2][];
        private int n;

        synchronized void add(long lsn, byte[] v) {
            if (n == lsns.length) {
                lsns = Arrays.copyOf(lsns, n * 2);
                values = Arrays.copyOf(values, n * 2);
            }
            lsns[n] = lsn;
            values[n++] = v;
        }

        synchronized byte[] get(long lsn) {
            for (int i = n - 1; i >= 0; i--) if (lsns[i] <= lsn) return values[i];
            return null;
        }

        synchronized int size() { return n; }
        synchronized long lsn(int i) { return lsns[i]; }
        synchronized byte[] value(int i) { return values[i]; }
    }

    final Log log;
    final ConcurrentHashMap<Long, Versions> map = new ConcurrentHashMap<>();
    final AtomicLong bytes = new AtomicLong();
    final LsnTimeIndex samples = new LsnTimeIndex();
    volatile long minLsn = Long.MAX_VALUE, maxLsn = -1;

    OpenLayer(Log log) { this.log = log; }

    /** Adds one record (caller holds the write lock). */
    void add(Log.Record r, long encodedBytes) {
        for (int i = 0; i < r.keys().length; i++)
            map.computeIfAbsent(r.keys()[i], k -> new Versions()).add(r.lsn(), r.values()[i]);
        if (minLsn == Long.MAX_VALUE) minLsn = r.lsn();
        maxLsn = r.lsn();
        samples.add(r.millis(), r.lsn());
        bytes.addAndGet(encodedBytes);
    }

    byte[] get(long key, long lsn) {
        if (lsn < minLsn) return null;
        Versions v = map.get(key);
        return v == null ? null : v.get(lsn);
    }

    boolean isEmpty() { return maxLsn < 0; }

    long[] sortedKeys() {
        long[] keys = new long[map.size()];
        int i = 0;
        for (Long k : map.keySet()) {
            if (i == keys.length) keys = Arrays.copyOf(keys, i * 2 + 1);
            keys[i++] = k;
        }
        keys = Arrays.copyOf(keys, i);
        Arrays.sort(keys);
        return keys;
    }
}
