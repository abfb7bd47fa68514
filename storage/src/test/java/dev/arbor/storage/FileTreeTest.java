package dev.arbor.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileTreeTest {
    @TempDir Path dir;

    static byte[] read(FileTree t, String path) {
        FileAttr a = t.stat(path);
        ByteBuffer b = ByteBuffer.allocate((int) a.size());
        int n = t.read(a.inode(), 0, b);
        assertThat(n).isEqualTo((int) a.size());
        return b.array();
    }

    static void write(FileTree t, String path, long offset, byte[] data) {
        t.write(t.stat(path).inode(), offset, ByteBuffer.wrap(data));
    }

    @Test void posixOperationsOnTheHeadTree() {
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            TimelineId tl = store.createTimeline(null);
            FileTree t = store.fileTree(tl);
            assertThat(t.stat("/").directory()).isTrue();
            assertThat(t.list("/")).isEmpty();
            t.mkdir("/base", 0700);
            t.mkdir("/base/5", 0700);
            FileAttr f = t.create("/base/5/1259", 0600);
            assertThat(f.size()).isZero();
            assertThat(f.mode()).isEqualTo(0600);
            byte[] data = new byte[20000];
            for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 7);
            t.write(f.inode(), 100, ByteBuffer.wrap(data));
            assertThat(t.stat("/base/5/1259").size()).isEqualTo(20100);
            byte[] all = read(t, "/base/5/1259");
            assertThat(Arrays.copyOfRange(all, 0, 100)).containsOnly(0);
            assertThat(Arrays.copyOfRange(all, 100, 20100)).isEqualTo(data);
            // partial block overwrite keeps its neighbours
            write(t, "/base/5/1259", 8190, "abcd".getBytes(StandardCharsets.US_ASCII));
            all = read(t, "/base/5/1259");
            assertThat(new String(all, 8190, 4, StandardCharsets.US_ASCII)).isEqualTo("abcd");
            assertThat(all[8189]).isEqualTo(data[8089]);
            assertThat(all[8194]).isEqualTo(data[8094]);
            // truncate then grow reads zeros
            t.truncate(f.inode(), 5000);
            t.truncate(f.inode(), 30000);
            all = read(t, "/base/5/1259");
            assertThat(Arrays.copyOfRange(all, 100, 5000)).isEqualTo(Arrays.copyOfRange(data, 0, 4900));
            assertThat(Arrays.copyOfRange(all, 5000, 30000)).containsOnly(0);
            // rename replaces, unlink removes, rmdir needs empty
            t.create("/base/5/other", 0600);
            t.rename("/base/5/1259", "/base/5/other");
            assertThat(t.list("/base/5")).extracting(DirEntry::name).containsExactly("other");
            assertThat(t.stat("/base/5/other").inode()).isEqualTo(f.inode());
            assertThatThrownBy(() -> t.rmdir("/base/5")).isInstanceOf(StorageException.NotEmpty.class);
            assertThatThrownBy(() -> t.mkdir("/base", 0700)).isInstanceOf(StorageException.AlreadyExists.class);
            assertThatThrownBy(() -> t.stat("/nope")).isInstanceOf(StorageException.NotFound.class);
            assertThatThrownBy(() -> t.create("/base/5/other/x", 0600)).isInstanceOf(StorageException.NotADirectory.class);
            assertThatThrownBy(() -> t.rename("/base", "/base/5/sub")).isInstanceOf(StorageException.Conflict.class);
            t.unlink("/base/5/other");
            t.rmdir("/base/5");
            assertThat(t.list("/base")).isEmpty();
            t.chmod("/base", 0750);
            t.setMtime("/base", 12345);
            assertThat(t.stat("/base").mode()).isEqualTo(0750);
            assertThat(t.stat("/base").mtimeMillis()).isEqualTo(12345);
            t.sync();
        }
    }

    @Test void branchesAreIsolatedAndSurviveReopen() {
        TimelineId main, child;
        Lsn before;
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            main = store.createTimeline(null);
            FileTree t = store.fileTree(main);
            t.create("/f", 0600);
            write(t, "/f", 0, "parent-v1".getBytes());
            before = t.lsn();
            child = store.branch(main, BranchPoint.head());
            write(t, "/f", 0, "parent-v2".getBytes());
            FileTree c = store.fileTree(child);
            assertThat(new String(read(c, "/f"))).isEqualTo("parent-v1");
            write(c, "/f", 0, "child--v1".getBytes());
            c.create("/only-child", 0600);
            assertThat(new String(read(t, "/f"))).isEqualTo("parent-v2");
            assertThat(t.list("/")).extracting(DirEntry::name).containsExactly("f");
            FileTree past = store.fileTree(main, before);
            assertThat(past.readOnly()).isTrue();
            assertThat(new String(read(past, "/f"))).isEqualTo("parent-v1");
            assertThatThrownBy(() -> past.create("/x", 0600)).isInstanceOf(StorageException.ReadOnly.class);
            assertThatThrownBy(() -> store.readOnlyTree(main).unlink("/f")).isInstanceOf(StorageException.ReadOnly.class);
            t.sync();
            c.sync();
        }
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            assertThat(new String(read(store.fileTree(main), "/f"))).isEqualTo("parent-v2");
            assertThat(new String(read(store.fileTree(child), "/f"))).isEqualTo("child--v1");
            assertThat(store.fileTree(child).list("/")).extracting(DirEntry::name).containsExactly("f", "only-child");
            assertThat(store.info(child).ancestor()).isEqualTo(main);
            assertThat(store.timelines()).extracting(TimelineInfo::id).containsExactlyInAnyOrder(main, child);
            assertThatThrownBy(() -> store.delete(main)).isInstanceOf(StorageException.Conflict.class);
            store.delete(child);
            store.delete(main);
            assertThat(store.timelines()).isEmpty();
            assertThatThrownBy(() -> store.branch(main, BranchPoint.head())).isInstanceOf(StorageException.Conflict.class);
            assertThatThrownBy(() -> store.fileTree(TimelineId.generate())).isInstanceOf(StorageException.NotFound.class);
        }
    }

    /** An interrupted caller (a cancelled request) must not close the store's files for everyone else. */
    @Test void interruptedCallersDoNotBreakTheStore() {
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults().withOpenLayerBytes(16 * 1024))) {
            TimelineId tl = store.createTimeline(null);
            FileTree t = store.fileTree(tl);
            FileAttr a = t.create("/f", 0600);
            byte[] data = new byte[64 * 1024];
            new java.util.Random(3).nextBytes(data);
            t.write(a.inode(), 0, ByteBuffer.wrap(data));  // flushed to delta layers
            Thread.currentThread().interrupt();
            try {
                assertThat(read(t, "/f")).isEqualTo(data);
                t.write(a.inode(), 0, ByteBuffer.wrap(data, 0, 100));
                t.write(a.inode(), 0, ByteBuffer.wrap(data));  // freezes and flushes on this thread
                t.sync();
            } finally {
                assertThat(Thread.interrupted()).as("the interrupt is preserved").isTrue();
            }
            assertThat(read(t, "/f")).isEqualTo(data);
            t.sync();
        }
    }

    @Test void flushedLayersServeReadsAfterReopen() {
        StoreConfig small = StoreConfig.defaults().withOpenLayerBytes(64 * 1024);
        TimelineId tl;
        byte[] data = new byte[300_000];
        new java.util.Random(1).nextBytes(data);
        try (PageStore store = PageStore.open(dir, small)) {
            tl = store.createTimeline(null);
            FileTree t = store.fileTree(tl);
            t.create("/big", 0600);
            for (int off = 0; off < data.length; off += 10_000)
                write(t, "/big", off, Arrays.copyOfRange(data, off, Math.min(data.length, off + 10_000)));
            assertThat(store.timeline(tl).layerCount()).isGreaterThan(2);
            assertThat(read(t, "/big")).isEqualTo(data);
            t.sync();
        }
        try (PageStore store = PageStore.open(dir, small)) {
            assertThat(read(store.fileTree(tl), "/big")).isEqualTo(data);
            List<String> before = store.timeline(tl).layerNames();
            CompactionResult r = store.compact(tl);
            assertThat(r.imageCreated()).isTrue();
            assertThat(store.timeline(tl).layerNames()).containsAll(before).anyMatch(n -> n.startsWith("image-"));
            assertThat(read(store.fileTree(tl), "/big")).isEqualTo(data);
        }
    }

    /** Zero blocks are stored as holes: they read as zeros, shadow the parent's data on a branch, and cost the branch ~nothing. */
    @Test void zeroBlocksAreHolesThatShadowTheParent() {
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            TimelineId parent = store.createTimeline(null);
            FileTree p = store.fileTree(parent);
            p.create("/rel", 0600);
            byte[] data = new byte[8192 * 8];
            Arrays.fill(data, (byte) 0x5a);
            write(p, "/rel", 0, data);
            TimelineId child = store.branch(parent, BranchPoint.head());
            FileTree c = store.fileTree(child);
            long before = store.usage(child).physicalBytes();
            write(c, "/rel", 8192 * 2, new byte[8192 * 4]);  // four whole zero blocks over the parent's data
            byte[] all = read(c, "/rel");
            assertThat(Arrays.copyOfRange(all, 0, 8192 * 2)).containsOnly(0x5a);
            assertThat(Arrays.copyOfRange(all, 8192 * 2, 8192 * 6)).containsOnly(0);
            assertThat(Arrays.copyOfRange(all, 8192 * 6, 8192 * 8)).containsOnly(0x5a);
            assertThat(read(p, "/rel")).isEqualTo(data);
            assertThat(store.usage(child).physicalBytes() - before).isLessThan(8192);
            // a partial write into a hole reads zeros around it
            write(c, "/rel", 8192 * 3 + 10, new byte[]{1, 2, 3});
            all = read(c, "/rel");
            assertThat(Arrays.copyOfRange(all, 8192 * 3, 8192 * 3 + 10)).containsOnly(0);
            assertThat(Arrays.copyOfRange(all, 8192 * 3 + 10, 8192 * 3 + 13)).containsExactly(1, 2, 3);
            assertThat(Arrays.copyOfRange(all, 8192 * 3 + 13, 8192 * 4)).containsOnly(0);
            // after a compaction of the child the holes still shadow the parent
            store.compact(child);
            assertThat(Arrays.copyOfRange(read(c, "/rel"), 8192 * 4, 8192 * 6)).containsOnly(0);
        }
    }

    /**
     * A block rewritten with small changes (like postgres' current WAL page at each commit) is stored as patches on its
     * previous version: the store takes a fraction of the bytes, and every version reads back exactly from the open
     * layer, a delta layer, an image, after a reopen and from a branch at any of its LSNs.
     */
    @Test void smallRewritesAreStoredAsPatchesAndEveryVersionReadsBack() {
        StoreConfig small = StoreConfig.defaults().withOpenLayerBytes(256 * 1024);
        TimelineId tl;
        List<byte[]> versions = new java.util.ArrayList<>();
        List<Lsn> lsns = new java.util.ArrayList<>();
        java.util.Random rnd = new java.util.Random(3);
        try (PageStore store = PageStore.open(dir, small)) {
            tl = store.createTimeline(null);
            FileTree t = store.fileTree(tl);
            t.create("/wal", 0600);
            byte[] page = new byte[8192];
            rnd.nextBytes(page);
            write(t, "/wal", 0, page);
            long before = store.usage(tl).writtenBytes();
            for (int i = 0; i < 200; i++) {
                int off = rnd.nextInt(8192 - 300);
                byte[] rec = new byte[1 + rnd.nextInt(300)];
                rnd.nextBytes(rec);
                System.arraycopy(rec, 0, page, off, rec.length);
                write(t, "/wal", 0, page.clone());  // the whole page, as postgres writes it
                versions.add(page.clone());
                lsns.add(t.lsn());
                if (i == 120) store.timeline(tl).freeze();
            }
            long stored = store.usage(tl).writtenBytes() - before;
            assertThat(stored).as("bytes stored for 200 rewrites of one 8 KiB block").isLessThan(200 * 8192 / 4);
            checkVersions(store, tl, versions, lsns);
            t.sync();
        }
        try (PageStore store = PageStore.open(dir, small)) {  // the open layer's patches replayed from its log
            checkVersions(store, tl, versions, lsns);
            store.compact(tl);
            assertThat(read(store.fileTree(tl), "/wal")).isEqualTo(versions.getLast());
            checkVersions(store, tl, versions, lsns);
            TimelineId child = store.branch(tl, BranchPoint.at(lsns.get(77)));
            assertThat(read(store.fileTree(child), "/wal")).isEqualTo(versions.get(77));
        }
    }

    /**
     * Files written like WAL segments: records appended to the current page, which is written whole each time, in a
     * file that grows a page at a time or (postgres with wal_init_zero=off) was created sparse at its full size by one
     * byte at its end. The store keeps about what was appended, and every version reads back.
     */
    @Test void aFileFilledAPageAtATimeStoresAboutWhatWasAppended() {
        for (boolean sparse : new boolean[]{false, true}) {
            Path d = dir.resolve(sparse ? "sparse" : "growing");
            StoreConfig small = StoreConfig.defaults().withOpenLayerBytes(64 * 1024);
            java.util.Random rnd = new java.util.Random(5);
            byte[] wal = new byte[8192 * 12];
            List<byte[]> versions = new java.util.ArrayList<>();
            List<Lsn> lsns = new java.util.ArrayList<>();
            TimelineId tl;
            try (PageStore store = PageStore.open(d, small)) {
                tl = store.createTimeline(null);
                FileTree t = store.fileTree(tl);
                t.create("/seg", 0600);
                if (sparse) write(t, "/seg", wal.length - 1, new byte[1]);
                long before = store.usage(tl).writtenBytes();
                int end = 0;
                while (end < wal.length - 400) {
                    byte[] rec = new byte[40 + rnd.nextInt(300)];
                    rnd.nextBytes(rec);
                    System.arraycopy(rec, 0, wal, end, rec.length);
                    int page = end / 8192;
                    end += rec.length;
                    int last = (end - 1) / 8192;
                    write(t, "/seg", page * 8192L, Arrays.copyOfRange(wal, page * 8192, (last + 1) * 8192));
                    versions.add(sparse ? wal.clone() : Arrays.copyOf(wal, (last + 1) * 8192));
                    lsns.add(t.lsn());
                }
                long stored = store.usage(tl).writtenBytes() - before;
                assertThat(stored).as("bytes stored for %d bytes appended (sparse %s)", end, sparse).isLessThan(end * 16L / 10);
                assertThat(store.timeline(tl).layerCount()).as("flushed to delta layers on the way").isGreaterThan(1);
                t.sync();
            }
            try (PageStore store = PageStore.open(d, small)) {
                for (int pass = 0; pass < 2; pass++) {
                    for (int i = 0; i < versions.size(); i += 7)
                        assertThat(read(store.fileTree(tl, lsns.get(i)), "/seg")).as("version %d", i).isEqualTo(versions.get(i));
                    assertThat(read(store.fileTree(tl), "/seg")).isEqualTo(versions.getLast());
                    store.compact(tl);
                }
            }
        }
    }

    @Test void aMostlyZeroPageOverAnOlderVersionOrAParentsIsStoredAsAPatchOnZeros() {
        Path d = dir.resolve("over");
        byte[] full = new byte[8192];
        new java.util.Random(3).nextBytes(full);
        byte[] sparse = new byte[8192];  // a page with a header and a tuple: what a vacuumed or new heap page looks like
        new java.util.Random(4).nextBytes(sparse);
        Arrays.fill(sparse, 24, 8000, (byte) 0);
        TimelineId parent, child;
        try (PageStore store = PageStore.open(d, StoreConfig.defaults())) {
            parent = store.createTimeline(null);
            FileTree p = store.fileTree(parent);
            p.create("/rel", 0600);
            write(p, "/rel", 0, full);
            store.timeline(parent).freeze();
            store.timeline(parent).flushFrozen();  // the full version is in a delta layer now, not in the open layer
            long before = store.usage(parent).writtenBytes();
            write(p, "/rel", 0, sparse);
            assertThat(store.usage(parent).writtenBytes() - before).as("stored for the page over its older version").isLessThan(1024);
            child = store.branch(parent, BranchPoint.head());
            write(store.fileTree(parent), "/rel", 0, full);
            FileTree c = store.fileTree(child);
            long cb = store.usage(child).writtenBytes();
            write(c, "/rel", 0, sparse);
            write(c, "/rel", 0, sparse);
            assertThat(store.usage(child).writtenBytes() - cb).as("stored on the branch over the parent's page").isLessThan(2048);
            assertThat(read(c, "/rel")).isEqualTo(sparse);
            c.sync();
            store.fileTree(parent).sync();
        }
        try (PageStore store = PageStore.open(d, StoreConfig.defaults())) {
            assertThat(read(store.fileTree(child), "/rel")).isEqualTo(sparse);
            assertThat(read(store.fileTree(parent), "/rel")).isEqualTo(full);
            store.compact(child);
            store.compact(parent);
            assertThat(read(store.fileTree(child), "/rel")).isEqualTo(sparse);
            assertThat(read(store.fileTree(parent), "/rel")).isEqualTo(full);
        }
    }

    private static void checkVersions(PageStore store, TimelineId tl, List<byte[]> versions, List<Lsn> lsns) {
        for (int i = 0; i < versions.size(); i++)
            assertThat(read(store.fileTree(tl, lsns.get(i)), "/wal")).as("version %d", i).isEqualTo(versions.get(i));
    }
}
