package dev.arbor.backend;

import dev.arbor.backend.ops.BranchStorage;
import dev.arbor.backend.ops.PageStoreBranchStorage;
import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.FileTree;
import dev.arbor.storage.PageStore;
import dev.arbor.storage.StoreConfig;
import dev.arbor.storage.TimelineId;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GC against branch creation at old timestamps, the way the control plane does it (check the point when
 * the API call arrives, create the timeline when the operation runs a little later) for 60 s: a writer
 * keeps overwriting pages of a parent with a short history window, GC and compaction run non-stop, and
 * branchers create branches at random times inside the window. Every accepted branch point must be
 * creatable (no "invalid branch point") and every branch must read exactly a version of the page that
 * was current at its timestamp (no lost or torn pages).
 */
class BranchGcStressTest {
    private static final Duration RUN = Duration.ofSeconds(60);  // the issue asks for >= 60 s
    private static final Duration WINDOW = Duration.ofSeconds(4);
    private static final int PAGE = 8192;
    private static final int PAGES = 16;

    /** Version {@code v} of the page was written between {@code start} and {@code end} (epoch ms). */
    record Write(long v, long start, long end) {}

    @Test
    void gcNeverBreaksBranchesAtOldTimestamps() throws Exception {
        Path dir = Files.createTempDirectory("arbor-gc-stress-");
        StoreConfig cfg = StoreConfig.defaults().withOpenLayerBytes(64 * 1024).withImageThreshold(3);
        try (PageStore store = PageStore.open(dir, cfg)) {
            BranchStorage storage = new PageStoreBranchStorage(store);
            TimelineId root = storage.createRoot("p", "main", WINDOW);
            FileTree tree = store.fileTree(root);
            long inode = tree.create("/data", 0644).inode();
            List<Write> writes = new ArrayList<>();  // guarded by itself
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger branches = new AtomicInteger();
            AtomicInteger gcs = new AtomicInteger();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

            // version 0, then a new version of every page every few ms
            writeVersion(tree, inode, 0);
            synchronized (writes) { writes.add(new Write(0, 0, System.currentTimeMillis())); }
            Thread writer = Thread.ofPlatform().name("writer").start(() -> {
                long v = 1;
                while (!stop.get()) {
                    long start = System.currentTimeMillis();
                    try {
                        writeVersion(tree, inode, v);
                    } catch (RuntimeException e) {
                        failures.add("write " + v + ": " + e);
                        return;
                    }
                    synchronized (writes) { writes.add(new Write(v, start, System.currentTimeMillis())); }
                    v++;
                    TestServer.sleep(2);
                }
            });
            Thread gc = Thread.ofPlatform().name("gc").start(() -> {
                while (!stop.get()) {
                    try {
                        store.compact(root);
                        store.gc();
                        gcs.incrementAndGet();
                    } catch (RuntimeException e) {
                        failures.add("gc: " + e);
                    }
                    TestServer.sleep(5);
                }
            });
            // branch points only where the file already exists (the window first fills up)
            TestServer.sleep(WINDOW.toMillis());
            List<Thread> branchers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                branchers.add(Thread.ofPlatform().name("brancher-" + i).start(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    while (!stop.get()) {
                        // somewhere in the older half of the window, as a restore to "a while ago" would
                        Instant at = Instant.now().minusMillis(WINDOW.toMillis() / 4 + rnd.nextLong(WINDOW.toMillis() / 2));
                        BranchPoint point = BranchPoint.at(at);
                        try {
                            storage.checkBranchPoint(root, point);       // the API call
                        } catch (RuntimeException e) {
                            continue;  // not yet a full window of history at the start
                        }
                        TestServer.sleep(rnd.nextLong(30));              // the operation starts a bit later
                        TimelineId child;
                        try {
                            child = storage.createBranch("p", "b", root, point).timeline();
                        } catch (RuntimeException e) {
                            failures.add("branch at " + at + " accepted, then refused: " + e);
                            continue;
                        }
                        try {
                            checkBranch(store, child, at.toEpochMilli(), writes, failures);
                        } catch (RuntimeException e) {
                            failures.add("branch at " + at + " unreadable: " + e);
                        } finally {
                            storage.delete(child);
                        }
                        branches.incrementAndGet();
                    }
                }));
            }
            TestServer.sleep(RUN.minus(WINDOW).toMillis());  // 60 s in all, warm-up included
            stop.set(true);
            writer.join();
            gc.join();
            for (Thread t : branchers) t.join();

            assertThat(failures).as("failures").isEmpty();
            assertThat(branches.get()).as("branches created").isGreaterThan(100);
            assertThat(gcs.get()).as("gc passes").isGreaterThan(100);
            long removed = store.gc().layersRemoved();
            assertThat(store.verify(root)).isPositive();
            System.out.printf("gc stress: %d branches, %d gc passes, %d writes, final gc removed %d layers%n",
                    branches.get(), gcs.get(), writes.size(), removed);
        } finally {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    private static void writeVersion(FileTree tree, long inode, long v) {
        ByteBuffer page = ByteBuffer.allocate(PAGE);
        for (int p = 0; p < PAGES; p++) {
            page.clear();
            while (page.hasRemaining()) page.putLong(v);
            page.flip();
            tree.write(inode, (long) p * PAGE, page);
        }
        tree.sync();
    }

    /** Each page must hold one whole version that was current at {@code at}, and all pages of a sync agree. */
    private static void checkBranch(PageStore store, TimelineId child, long at, List<Write> writes, ConcurrentLinkedQueue<String> failures) {
        long lo = -1;
        long hi = Long.MAX_VALUE;
        synchronized (writes) {
            for (Write w : writes) {
                if (w.end() < at) lo = Math.max(lo, w.v());       // finished before: at least this one
                if (w.start() > at) hi = Math.min(hi, w.v() - 1); // started after: none of these
            }
        }
        FileTree t = store.readOnlyTree(child);
        long inode = t.stat("/data").inode();
        ByteBuffer page = ByteBuffer.allocate(PAGE);
        for (int p = 0; p < PAGES; p++) {
            page.clear();
            int n = t.read(inode, (long) p * PAGE, page);
            if (n != PAGE) {
                failures.add("branch at " + at + ": page " + p + " short read " + n);
                return;
            }
            page.flip();
            long v = page.getLong(0);
            for (int i = 0; i < PAGE; i += 8) {
                if (page.getLong(i) != v) {
                    failures.add("branch at " + at + ": page " + p + " torn");
                    return;
                }
            }
            if (v < lo || v > hi) failures.add("branch at " + at + ": page " + p + " has version " + v + ", expected " + lo + ".." + hi);
        }
    }
}
