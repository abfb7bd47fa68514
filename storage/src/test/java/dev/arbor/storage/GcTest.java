package dev.arbor.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class GcTest {
    @TempDir Path dir;

    private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);
    private final StoreConfig config = StoreConfig.defaults().withOpenLayerBytes(256 * 1024)
            .withClock(() -> Instant.ofEpochMilli(clock.get()));

    private static byte[] filled(int len, int v) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) v);
        return b;
    }

    @Test void unlinkedAndOverwrittenDataIsDroppedOutsideTheWindow() {
        try (PageStore store = PageStore.open(dir, config)) {
            TimelineId tl = store.createTimeline(Duration.ofSeconds(10));
            FileTree t = store.fileTree(tl);
            for (int seg = 0; seg < 4; seg++) {  // like recycled WAL segments
                FileAttr a = t.create("/wal" + seg, 0600);
                t.write(a.inode(), 0, ByteBuffer.wrap(filled(1 << 20, seg)));
                if (seg > 0) t.unlink("/wal" + (seg - 1));
            }
            FileAttr keep = t.create("/keep", 0600);
            Lsn round0 = null;
            for (int round = 0; round < 4; round++) {
                t.write(keep.inode(), 0, ByteBuffer.wrap(filled(512 * 1024, round)));
                if (round == 0) round0 = t.lsn();
            }
            store.compact(tl);
            long before = store.usage(tl).physicalBytes();
            store.gc();  // inside the window: history stays readable
            assertThat(FileTreeTest.read(store.fileTree(tl, round0), "/keep")).containsOnly(0);
            assertThat(FileTreeTest.read(store.fileTree(tl, round0), "/wal3")).containsOnly(3);
            clock.addAndGet(60_000);
            GcResult r = store.gc();
            long after = store.usage(tl).physicalBytes();
            assertThat(r.layersRemoved()).isPositive();
            assertThat(after).as("only the live 1.5 MiB remain").isLessThan(2L << 20).isLessThan(before / 3);
            assertThat(store.usage(tl).logicalSize()).isEqualTo((1 << 20) + 512 * 1024);
            assertThat(FileTreeTest.read(store.fileTree(tl), "/keep")).containsOnly(3);
            assertThat(FileTreeTest.read(store.fileTree(tl), "/wal3")).containsOnly(3);
            assertThat(store.info(tl).windowStartLsn()).isEqualTo(store.info(tl).headLsn());
        }
    }

    @Test void gcKeepsWhatBranchPointsNeed() {
        try (PageStore store = PageStore.open(dir, config)) {
            TimelineId main = store.createTimeline(Duration.ofSeconds(1));
            FileTree t = store.fileTree(main);
            FileAttr a = t.create("/rel", 0600);
            t.write(a.inode(), 0, ByteBuffer.wrap(filled(1 << 20, 1)));
            TimelineId child = store.branch(main, BranchPoint.head());
            for (int v = 2; v < 6; v++) {
                t.write(a.inode(), 0, ByteBuffer.wrap(filled(1 << 20, v)));
                store.compact(main);
            }
            clock.addAndGet(10_000);
            store.gc();
            assertThat(FileTreeTest.read(store.fileTree(child), "/rel")).containsOnly(1);
            assertThat(FileTreeTest.read(store.fileTree(main), "/rel")).containsOnly(5);
            store.delete(child);
            long before = store.usage(main).physicalBytes();
            assertThat(store.gc().layersRemoved()).isPositive();  // the branch point no longer pins anything
            assertThat(store.usage(main).physicalBytes()).isLessThan(before);
            assertThat(FileTreeTest.read(store.fileTree(main), "/rel")).containsOnly(5);
        }
    }

    /** GC running flat out while branches are created at the head and at times: every branch point stays readable. */
    @Test void concurrentBranchesAndGcNeverLoseABranchPoint() throws Exception {
        StoreConfig real = StoreConfig.defaults().withOpenLayerBytes(64 * 1024);
        try (PageStore store = PageStore.open(dir, real)) {
            TimelineId main = store.createTimeline(Duration.ofMillis(20));
            FileTree t = store.fileTree(main);
            FileAttr a = t.create("/v", 0600);
            t.write(a.inode(), 0, ByteBuffer.wrap(filled(32 * 1024, 0)));
            var stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread writer = Thread.ofPlatform().start(() -> {
                for (int v = 1; !stop.get(); v++) {
                    t.write(a.inode(), 0, ByteBuffer.wrap(filled(32 * 1024, v & 0x7f)));
                    if (v % 8 == 0) store.compact(main);
                }
            });
            Thread gc = Thread.ofPlatform().start(() -> { while (!stop.get()) store.gc(); });
            try {
                for (int i = 0; i < 60; i++) {
                    TimelineId c;
                    try {
                        c = i % 2 == 0 ? store.branch(main, BranchPoint.head())
                                : store.branch(main, BranchPoint.at(Instant.now().minusMillis(5)));
                    } catch (StorageException.InvalidLsn e) {
                        continue;  // the time fell out of the 20 ms window: refused, never half-made
                    }
                    byte[] got = FileTreeTest.read(store.fileTree(c), "/v");
                    assertThat(got).hasSize(32 * 1024);
                    byte first = got[0];
                    for (byte b : got) assertThat(b).isEqualTo(first);  // one consistent version
                    store.gc();
                    assertThat(FileTreeTest.read(store.fileTree(c), "/v")).isEqualTo(got);
                }
            } finally {
                stop.set(true);
                writer.join();
                gc.join();
            }
        }
    }
}
