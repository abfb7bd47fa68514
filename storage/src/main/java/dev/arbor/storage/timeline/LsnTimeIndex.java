package dev.arbor.storage.timeline;

import java.util.Arrays;

/**
 * LSN <-> wall-clock index: for each millisecond in which records were written, the newest LSN of that
 * millisecond. Sorted on both columns because LSNs and (clamped) times only grow along a timeline.
 */
final class LsnTimeIndex {
    private long[] millis = new long[16], lsns = new long[16];
    private int n;

    synchronized void add(long ms, long lsn) {
        if (n > 0 && ms <= millis[n - 1]) {
            if (lsn > lsns[n - 1]) lsns[n - 1] = lsn;
            return;
        }
        if (n == millis.length) {
            if (n >= THIN_AT) thin(ms - EXACT_MILLIS);
            if (n == millis.length) {
                millis = Arrays.copyOf(millis, n * 2);
                lsns = Arrays.copyOf(lsns, n * 2);
            }
        }
        millis[n] = ms;
        lsns[n++] = lsn;
    }

    /** Millisecond resolution for the last hour; older samples are thinned to the last one of each second. */
    static final long EXACT_MILLIS = 3_600_000;
    static final int THIN_AT = 1 << 16;

    /**
     * Keeps, before {@code before}, only the last sample of each second. A time inside such a second then
     * resolves to the end of the previous second: an older state, never a newer one. Bounds memory under
     * constant writes (~86k samples a day instead of one per millisecond).
     */
    private void thin(long before) {
        int w = 0;
        for (int i = 0; i < n; i++) {
            boolean lastOfSecond = i == n - 1 || millis[i + 1] / 1000 != millis[i] / 1000;
            if (millis[i] >= before || lastOfSecond) {
                millis[w] = millis[i];
                lsns[w++] = lsns[i];
            }
        }
        n = w;
    }

    synchronized void addAll(long[] ms, long[] ls) {
        for (int i = 0; i < ms.length; i++) add(ms[i], ls[i]);
    }

    /** Newest LSN written at or before {@code ms}, or -1 if none. */
    synchronized long lsnAt(long ms) {
        int i = Arrays.binarySearch(millis, 0, n, ms);
        if (i < 0) i = -i - 2;
        return i < 0 ? -1 : lsns[i];
    }

    /** Time of the first sample at or above {@code lsn}, or -1. */
    synchronized long timeOf(long lsn) {
        int i = Arrays.binarySearch(lsns, 0, n, lsn);
        if (i < 0) i = -i - 1;
        return i >= n ? -1 : millis[i];
    }

    /** Samples with LSN at or below {@code maxLsn}, from the newest one at or before {@code fromMillis} on. */
    synchronized long[][] range(long fromMillis, long maxLsn) {
        int lo = Arrays.binarySearch(millis, 0, n, fromMillis);
        if (lo < 0) lo = -lo - 2;
        lo = Math.max(lo, 0);
        int hi = lo;
        while (hi < n && lsns[hi] <= maxLsn) hi++;
        return new long[][]{Arrays.copyOfRange(millis, lo, hi), Arrays.copyOfRange(lsns, lo, hi)};
    }

    synchronized long lastMillis() { return n == 0 ? Long.MIN_VALUE : millis[n - 1]; }

    synchronized long[][] snapshot() { return new long[][]{Arrays.copyOf(millis, n), Arrays.copyOf(lsns, n)}; }

    /** Drops samples older than {@code ms}, keeping the newest one at or before it. */
    synchronized void trimBefore(long ms) {
        int i = Arrays.binarySearch(millis, 0, n, ms);
        if (i < 0) i = -i - 2;
        if (i <= 0) return;
        System.arraycopy(millis, i, millis, 0, n - i);
        System.arraycopy(lsns, i, lsns, 0, n - i);
        n -= i;
    }
}
