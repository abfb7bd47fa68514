package dev.arbor.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scaled storage amplification check: 50 branches of a 64 MiB timeline, each rewriting 1% of its
 * pages, must take at most 1.6x the space of one copy. (scripts/bench-storage prints the 1 GiB figure.)
 */
class AmplificationTest {
    @TempDir Path dir;

    @Test void fiftyBranchesRewritingOnePercentStayUnder1point6x() throws Exception {
        long size = 64L << 20;
        double ratio = measure(dir, size, 50, StoreConfig.defaults().withOpenLayerBytes(4 << 20));
        System.out.printf("AmplificationTest: 50 branches x 1%% of %d MiB -> %.3fx of one copy%n", size >> 20, ratio);
        assertThat(ratio).isLessThanOrEqualTo(1.6);
    }

    /** Builds the scenario and returns bytes on disk / logical size. Shared with the benchmark. */
    public static double measure(Path dir, long size, int branches, StoreConfig config) throws Exception {
        Random r = new Random(42);
        try (PageStore store = PageStore.open(dir, config)) {
            TimelineId base = store.createTimeline(null);
            FileTree t = store.fileTree(base);
            FileAttr a = t.create("/rel", 0600);
            byte[] chunk = new byte[1 << 20];
            for (long off = 0; off < size; off += chunk.length) {
                r.nextBytes(chunk);
                t.write(a.inode(), off, ByteBuffer.wrap(chunk));
            }
            t.sync();
            long pages = size / 8192;
            byte[] page = new byte[8192];
            for (int b = 0; b < branches; b++) {
                TimelineId c = store.branch(base, BranchPoint.head());
                FileTree ct = store.fileTree(c);
                for (long i = 0; i < pages / 100; i++) {
                    r.nextBytes(page);
                    ct.write(a.inode(), (long) r.nextInt((int) pages) * 8192, ByteBuffer.wrap(page));
                }
                ct.sync();
            }
            assertThat(store.usage(base).logicalSize()).isEqualTo(size);
        }
        return (double) BranchingTest.du(dir) / size;
    }
}
