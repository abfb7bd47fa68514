package dev.arbor.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Writers, readers, branch creation, compaction and GC all at once (with the background thread on):
 * every block read is a whole block some writer wrote (never torn, never foreign), and the final state
 * equals the last writes, also after a reopen.
 */
class ConcurrencyTest {
    @TempDir Path dir;

    static final int FILES_PER_WRITER = 2, WRITERS = 3, BLOCKS = 24;

    @Test void readersWritersBranchesCompactionAndGcTogether() throws Exception {
        StoreConfig config = StoreConfig.defaults().withOpenLayerBytes(96 * 1024).withImageThreshold(2)
                .withBackground(Duration.ofMillis(15), Duration.ofMillis(40));
        TimelineId tl;
        int[][][] last = new int[WRITERS][FILES_PER_WRITER][BLOCKS];
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        AtomicInteger reads = new AtomicInteger(), branches = new AtomicInteger();
        try (PageStore store = PageStore.open(dir, config)) {
            tl = store.createTimeline(Duration.ofMillis(50));
            FileTree t = store.fileTree(tl);
            for (int w = 0; w < WRITERS; w++)
                for (int f = 0; f < FILES_PER_WRITER; f++) t.create("/w" + w + "f" + f, 0600);
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int wi = w;
                threads.add(Thread.ofPlatform().start(() -> guard(errors, () -> {
                    Random r = new Random(wi);
                    long[] inodes = new long[FILES_PER_WRITER];
                    for (int f = 0; f < FILES_PER_WRITER; f++) inodes[f] = t.stat("/w" + wi + "f" + f).inode();
                    for (int n = 1; !stop.get(); n++) {
                        int f = r.nextInt(FILES_PER_WRITER), b = r.nextInt(BLOCKS);
                        int v = 1 + (n % 250);
                        t.write(inodes[f], (long) b * 8192, ByteBuffer.wrap(block(v)));
                        last[wi][f][b] = v;
                        if (n % 8 == 0) t.sync();
                    }
                })));
            }
            for (int rd = 0; rd < 3; rd++) {
                int ri = rd;
                threads.add(Thread.ofPlatform().start(() -> guard(errors, () -> {
                    Random r = new Random(100 + ri);
                    while (!stop.get()) {
                        String path = "/w" + r.nextInt(WRITERS) + "f" + r.nextInt(FILES_PER_WRITER);
                        checkWhole(t, path);
                        reads.incrementAndGet();
                    }
                })));
            }
            threads.add(Thread.ofPlatform().start(() -> guard(errors, () -> {
                Random r = new Random(200);
                while (!stop.get()) {
                    TimelineId c = store.branch(tl, BranchPoint.head());
                    FileTree ct = store.fileTree(c);
                    checkWhole(ct, "/w" + r.nextInt(WRITERS) + "f" + r.nextInt(FILES_PER_WRITER));
                    ct.write(ct.stat("/w0f0").inode(), 0, ByteBuffer.wrap(block(255)));
                    checkWhole(t, "/w0f0");  // the child's write never shows in the parent... unless the parent wrote 255 too
                    store.delete(c);
                    branches.incrementAndGet();
                }
            })));
            threads.add(Thread.ofPlatform().start(() -> guard(errors, () -> {
                while (!stop.get()) {
                    store.compact(tl);
                    store.gc();
                }
            })));
            Thread.sleep(3000);
            stop.set(true);
            for (Thread th : threads) th.join();
            assertThat(errors).isEmpty();
            assertThat(reads.get()).isPositive();
            assertThat(branches.get()).isPositive();
            verifyFinal(store.fileTree(tl), last);
            store.fileTree(tl).sync();
        }
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            verifyFinal(store.fileTree(tl), last);
        }
        System.out.printf("ConcurrencyTest: %d reads, %d branches%n", reads.get(), branches.get());
    }

    /** Power loss while the background thread is flushing frozen layers: several logs and half-written layers recover. */
    @Test void crashDuringBackgroundFlushesRecoversEverySyncedWrite() {
        StoreConfig config = StoreConfig.defaults().withOpenLayerBytes(16 * 1024)
                .withBackground(Duration.ofMillis(5), Duration.ofMinutes(10));
        for (int round = 0; round < 3; round++) {
            Path d = dir.resolve("round" + round);
            TimelineId tl;
            int[] last = new int[64];
            int syncedWrites;
            PageStore store = PageStore.open(d, config);
            tl = store.createTimeline(null);
            FileTree t = store.fileTree(tl);
            long inode = t.create("/f", 0600).inode();
            Random r = new Random(round);
            int n = 0;
            int[] synced = new int[64];
            for (; n < 400; n++) {
                int b = r.nextInt(64);
                t.write(inode, b * 8192L, ByteBuffer.wrap(block(1 + n % 250)));
                last[b] = 1 + n % 250;
                if (n % 16 == 15 && n < 384) {  // the last 16 writes stay unsynced
                    t.sync();
                    System.arraycopy(last, 0, synced, 0, 64);
                }
            }
            syncedWrites = n;
            store.crashForTesting(new Random(round));
            try (PageStore again = PageStore.open(d, config)) {
                assertThat(again.damaged()).isEmpty();
                FileTree t2 = again.fileTree(tl);
                byte[] all = FileTreeTest.read(t2, "/f");
                for (int b = 0; b < 64; b++) {
                    int got = b * 8192 < all.length ? all[b * 8192] & 0xff : 0;
                    // every block holds the synced value or a later one written before the crash
                    if (got != synced[b] && got != last[b]) {
                        boolean laterWrite = false;
                        Random replay = new Random(round);
                        for (int k = 0; k < syncedWrites; k++) {
                            int bb = replay.nextInt(64);
                            if (bb == b && 1 + k % 250 == got && k >= 384) laterWrite = true;
                        }
                        assertThat(laterWrite).as("round %d block %d: got %d, synced %d", round, b, got, synced[b]).isTrue();
                    }
                }
                again.verify(tl);
            }
        }
    }

    private static void verifyFinal(FileTree t, int[][][] last) {
        for (int w = 0; w < WRITERS; w++)
            for (int f = 0; f < FILES_PER_WRITER; f++) {
                byte[] all = FileTreeTest.read(t, "/w" + w + "f" + f);
                for (int b = 0; b < BLOCKS && (long) b * 8192 < all.length; b++)
                    assertThat(all[b * 8192] & 0xff).as("w%d f%d block %d", w, f, b).isEqualTo(last[w][f][b]);
            }
    }

    static byte[] block(int v) {
        byte[] b = new byte[8192];
        Arrays.fill(b, (byte) v);
        return b;
    }

    static void checkWhole(FileTree t, String path) {
        long inode = t.stat(path).inode();
        ByteBuffer buf = ByteBuffer.allocate(BLOCKS * 8192);
        int n = t.read(inode, 0, buf);
        byte[] a = buf.array();
        for (int b = 0; b * 8192 < n; b++) {
            byte first = a[b * 8192];
            for (int i = 1; i < 8192 && b * 8192 + i < n; i++)
                if (a[b * 8192 + i] != first) throw new AssertionError(path + " block " + b + " is torn");
        }
    }

    interface Body { void run() throws Exception; }

    static void guard(List<Throwable> errors, Body body) {
        try {
            body.run();
        } catch (Throwable e) {
            errors.add(e);
            e.printStackTrace();
        }
    }
}
