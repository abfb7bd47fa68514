package dev.arbor.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** Open layers grow to their configured size only while all timelines' unflushed layers fit the store's memory budget. */
class MemoryBudgetTest {
    @TempDir Path dir;

    private static byte[] filled(int len, int v) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) v);
        return b;
    }

    private static long unflushed(PageStore s, TimelineId... ids) {
        long b = 0;
        for (TimelineId id : ids) b += s.timeline(id).unflushedBytes();
        return b;
    }

    /** Two timelines each write into a file (1 MiB per write, far below the 64 MiB open layer size). */
    private static void write(PageStore s, TimelineId a, TimelineId b, int mib) {
        FileTree ta = s.fileTree(a), tb = s.fileTree(b);
        FileAttr fa = ta.create("/a", 0600), fb = tb.create("/b", 0600);
        for (int i = 0; i < mib; i++) {
            ta.write(fa.inode(), (long) i << 20, ByteBuffer.wrap(filled(1 << 20, 1)));
            tb.write(fb.inode(), (long) i << 20, ByteBuffer.wrap(filled(1 << 20, 2)));
        }
        ta.write(fa.inode(), 0, ByteBuffer.wrap(filled(1 << 20, 3)));  // a holds the largest open layer
    }

    @Test
    void overTheBudgetTheLargestOpenLayerIsFrozenAndFlushed() throws Exception {
        // 200 ms rounds: the idle rule (30 rounds) stays out of it. Each timeline first gets 2 MiB (4 MiB together,
        // under the 5 MiB budget, so a background round between the writes does nothing), then a takes 2 MiB more
        // in one record: only then is the budget exceeded, with a the largest, whenever the next round runs.
        StoreConfig c = StoreConfig.defaults().withMemoryBudget(5L << 20).withBackground(Duration.ofMillis(200), Duration.ofMinutes(10));
        try (PageStore s = PageStore.open(dir, c)) {
            TimelineId a = s.createTimeline(), b = s.createTimeline();
            FileTree ta = s.fileTree(a), tb = s.fileTree(b);
            FileAttr fa = ta.create("/a", 0600), fb = tb.create("/b", 0600);
            ta.write(fa.inode(), 0, ByteBuffer.wrap(filled(2 << 20, 1)));
            tb.write(fb.inode(), 0, ByteBuffer.wrap(filled(2 << 20, 2)));
            assertThat(unflushed(s, a, b)).isLessThan(c.memoryBudgetBytes());
            ta.write(fa.inode(), 2 << 20, ByteBuffer.wrap(filled(2 << 20, 3)));  // about 6 MiB in memory
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (unflushed(s, a, b) > c.memoryBudgetBytes() && System.nanoTime() < deadline) Thread.sleep(20);
            assertThat(unflushed(s, a, b)).isLessThanOrEqualTo(c.memoryBudgetBytes());
            assertThat(s.timeline(a).unflushedBytes()).as("the largest went to a delta layer").isZero();
            assertThat(s.timeline(b).unflushedBytes()).as("the other stays in memory").isGreaterThanOrEqualTo(2L << 20);
            assertThat(FileTreeTest.read(s.fileTree(a), "/a")).hasSize(4 << 20).startsWith(filled(2 << 20, 1)).endsWith(filled(2 << 20, 3));
            assertThat(FileTreeTest.read(s.fileTree(b), "/b")).containsOnly(2).hasSize(2 << 20);
        }
    }

    @Test
    void anIdleTimelineGivesItsOpenLayerBack() throws Exception {
        StoreConfig c = StoreConfig.defaults().withBackground(Duration.ofMillis(20), Duration.ofMinutes(10));
        try (PageStore s = PageStore.open(dir, c)) {
            TimelineId a = s.createTimeline(), b = s.createTimeline();
            write(s, a, b, 2);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (unflushed(s, a, b) > 0 && System.nanoTime() < deadline) Thread.sleep(20);
            assertThat(unflushed(s, a, b)).as("30 idle rounds of 20 ms: both flushed").isZero();
            assertThat(FileTreeTest.read(s.fileTree(b), "/b")).containsOnly(2).hasSize(2 << 20);
        }
    }

    @Test
    void withinTheBudgetOpenLayersStayInMemory() throws Exception {
        StoreConfig c = StoreConfig.defaults().withMemoryBudget(64L << 20).withBackground(Duration.ofMillis(50), Duration.ofMinutes(10));
        try (PageStore s = PageStore.open(dir, c)) {
            TimelineId a = s.createTimeline(), b = s.createTimeline();
            write(s, a, b, 3);
            long before = unflushed(s, a, b);
            Thread.sleep(500);  // 10 background rounds, fewer than the 30 that make a timeline idle
            assertThat(unflushed(s, a, b)).isEqualTo(before).isGreaterThan(6L << 20);
        }
    }
}
