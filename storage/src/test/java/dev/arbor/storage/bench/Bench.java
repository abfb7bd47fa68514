package dev.arbor.storage.bench;

import dev.arbor.storage.*;
import dev.arbor.storage.layer.IoUtil;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;

/** Helpers shared by the storage benchmarks: scratch directories and fast bulk fills. */
public final class Bench {
    private Bench() {}

    /** Scratch directory for benchmark stores ({@code -Dbench.dir}, default the system temp dir). */
    public static Path scratch(String prefix) {
        try {
            Path root = Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir")));
            Files.createDirectories(root);
            return Files.createTempDirectory(root, "arbor-bench-" + prefix + "-");
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    public static void delete(Path dir) {
        if (dir != null) IoUtil.deleteTree(dir);
    }

    /** Creates {@code path} and fills it with {@code pages} 8 KiB pages using large sequential writes. */
    public static long fill(FileTree t, String path, long pages, long seed) {
        long inode = t.create(path, 0600).inode();
        Random r = new Random(seed);
        byte[] chunk = new byte[1 << 20];
        r.nextBytes(chunk);
        long size = pages * 8192;
        for (long off = 0; off < size; off += chunk.length) {
            ByteBuffer.wrap(chunk).putLong(0, off).putLong(8192, r.nextLong());  // every chunk differs
            int len = (int) Math.min(chunk.length, size - off);
            t.write(inode, off, ByteBuffer.wrap(chunk, 0, len));
        }
        t.sync();
        return inode;
    }

    public static long du(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /**
     * Storage amplification: {@code branches} branches of a {@code size}-byte timeline, each rewriting 1%
     * of its pages at random. Returns bytes on disk divided by the logical size of one copy.
     */
    public static double amplification(Path dir, long size, int branches, StoreConfig config) {
        Random r = new Random(42);
        try (PageStore store = PageStore.open(dir, config)) {
            TimelineId base = store.createTimeline(null);
            long inode = fill(store.fileTree(base), "/rel", size / 8192, 1);
            long pages = size / 8192;
            byte[] page = new byte[8192];
            for (int b = 0; b < branches; b++) {
                TimelineId c = store.branch(base, BranchPoint.head());
                FileTree ct = store.fileTree(c);
                for (long i = 0; i < pages / 100; i++) {
                    r.nextBytes(page);
                    ct.write(inode, (long) r.nextInt((int) pages) * 8192, ByteBuffer.wrap(page));
                }
                ct.sync();
            }
            if (store.usage(base).logicalSize() != size) throw new IllegalStateException("logical size mismatch");
            return (double) du(dir) / size;  // measured while open: preallocated log tails count
        }
    }
}
