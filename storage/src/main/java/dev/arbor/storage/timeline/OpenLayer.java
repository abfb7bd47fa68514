package dev.arbor.storage.timeline;

import dev.arbor.storage.Key;
import dev.arbor.storage.layer.Patch;
import dev.arbor.storage.layer.Values;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The in-memory layer of a timeline: every version appended since the last freeze, by key. Backed by
 * {@link #log}; frozen (made read-only) when it grows past the configured size, then flushed to a
 * delta layer. Reads of recent pages are served from here.
 */
final class OpenLayer {
    /** Versions of one key, LSN-ascending, as stored: full values, tombstones and {@link Patch}es on the one before. */
    static final class Versions {
        private final long key;
        private long[] lsns = new long[2];
        private byte[][] values = new byte[2][];
        private int n;

        Versions(long key) { this.key = key; }

        synchronized void add(long lsn, byte[] v) {
            if (n == lsns.length) {
                lsns = Arrays.copyOf(lsns, n * 2);
                values = Arrays.copyOf(values, n * 2);
            }
            lsns[n] = lsn;
            values[n++] = v;
        }

        /** Newest version at or below {@code lsn}, patches applied; null if none. */
        synchronized byte[] get(long lsn) {
            for (int i = n - 1; i >= 0; i--) if (lsns[i] <= lsn) return resolve(i);
            return null;
        }

        /** Newest version at or below {@code lsn} as stored (a patch unresolved); null if none. */
        synchronized byte[] raw(long lsn) {
            for (int i = n - 1; i >= 0; i--) if (lsns[i] <= lsn) return values[i];
            return null;
        }

        /** Version {@code i}, patches applied: its chain starts in this layer (writers see to it), on a full value or zeros. */
        synchronized byte[] resolve(int i) {
            return Patch.resolve(key, i, j -> j < 0 ? null : values[j], () -> "open layer");
        }

        /** Whether the newest version may be the base of another patch: a full block or a chain within the bounds. */
        synchronized boolean patchable() {
            if (n == 0 || Values.isTombstone(values[n - 1])) return false;
            int c = 0, bytes = 0;
            for (int i = n - 1; i >= 0 && Patch.isPatch(key, values[i]); i--) {
                c++;
                bytes += values[i].length;
                if (Patch.isOnZeros(values[i])) break;  // the chain's start
            }
            return c < Patch.MAX_CHAIN && bytes < Patch.MAX_CHAIN_BYTES;
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
            map.computeIfAbsent(r.keys()[i], Versions::new).add(r.lsn(), r.values()[i]);
        if (minLsn == Long.MAX_VALUE) minLsn = r.lsn();
        maxLsn = r.lsn();
        samples.add(r.millis(), r.lsn());
        bytes.addAndGet(encodedBytes);
    }

    /**
     * What to store for new versions of {@code keys}. A full block becomes a {@link Patch}: on the key's newest version
     * when that is in this layer and the change is small (the caller holds the write lock, so no freeze moves the base
     * to another layer between this and {@link #add}), else on zeros when the block is mostly zeros (PostgreSQL fills a
     * new WAL page over several commits, in a segment it created sparse). Either reproduces the whole block, whatever
     * was there before. Large records (bulk copies) are not diffed against the layer.
     */
    byte[][] patched(long[] keys, byte[][] values) {
        boolean diff = keys.length <= 16;
        byte[][] out = values;
        for (int i = 0; i < keys.length; i++) {
            byte[] v = values[i];
            if (v.length != Key.BLOCK_SIZE || Key.kindOf(keys[i]) != Key.Kind.BLOCK) continue;
            byte[] p = null;
            Versions vs = diff && !repeated(keys, i) ? map.get(keys[i]) : null;
            if (vs != null) {
                synchronized (vs) {
                    if (vs.patchable()) p = Patch.diff(vs.resolve(vs.size() - 1), v);
                }
            }
            if (p == null) p = Patch.onZeros(v);
            if (p == null) continue;
            if (out == values) out = values.clone();
            out[i] = p;
        }
        return out;
    }

    private static boolean repeated(long[] keys, int i) {
        for (int j = 0; j < keys.length; j++) if (j != i && keys[j] == keys[i]) return true;
        return false;
    }

    byte[] get(long key, long lsn) {
        if (lsn < minLsn) return null;
        Versions v = map.get(key);
        return v == null ? null : v.get(lsn);
    }

    /** The stored version of {@code key} at or below {@code lsn} without applying patches; null if none here. */
    byte[] raw(long key, long lsn) {
        if (lsn < minLsn) return null;
        Versions v = map.get(key);
        return v == null ? null : v.raw(lsn);
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
