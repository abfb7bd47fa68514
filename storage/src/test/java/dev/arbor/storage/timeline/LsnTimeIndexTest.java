package dev.arbor.storage.timeline;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LsnTimeIndexTest {
    @Test void resolvesTheNewestLsnAtOrBeforeATime() {
        LsnTimeIndex idx = new LsnTimeIndex();
        idx.add(1000, 5);
        idx.add(1000, 7);  // same millisecond: the newest LSN wins
        idx.add(1003, 9);
        assertThat(idx.lsnAt(999)).isEqualTo(-1);
        assertThat(idx.lsnAt(1000)).isEqualTo(7);
        assertThat(idx.lsnAt(1002)).isEqualTo(7);
        assertThat(idx.lsnAt(5000)).isEqualTo(9);
        assertThat(idx.timeOf(8)).isEqualTo(1003);
    }

    @Test void oldSamplesAreThinnedToSecondsAndNeverResolveToANewerState() {
        LsnTimeIndex idx = new LsnTimeIndex();
        long lsn = 0;
        long start = 1_000_000;
        int count = 400_000;  // one record every 20 ms for 2.2 hours
        for (int i = 0; i < count; i++) idx.add(start + 20L * i, ++lsn);
        long[][] snap = idx.snapshot();
        assertThat(snap[0].length).isLessThan(count * 3 / 4);  // thinned whenever the arrays would grow
        long end = start + 20L * (count - 1);
        // recent: exact
        assertThat(idx.lsnAt(end - 200)).isEqualTo(count - 10);
        // old: at most one second older, never newer
        for (long t = start + 500; t < end - LsnTimeIndex.EXACT_MILLIS - 2000; t += 777) {
            long exact = (t - start) / 20 + 1;
            assertThat(idx.lsnAt(t)).isLessThanOrEqualTo(exact).isGreaterThan(exact - 51);
        }
    }
}
