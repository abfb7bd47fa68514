package dev.arbor.backend.compute.k8s;

import dev.arbor.backend.compute.volume.FuseOpStats;
import dev.arbor.backend.compute.volume.FuseVolume;
import dev.arbor.backend.compute.volume.OsAccount;
import dev.arbor.storage.FileTree;
import dev.arbor.storage.PageStore;
import dev.arbor.storage.StoreConfig;
import dev.arbor.storage.TimelineId;
import org.cryptomator.jfuse.api.FuseOperations;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The page read an endpoint pod would make when a page is in neither shared_buffers nor the kernel's page
 * cache: an O_DIRECT 8 KiB pread on the FUSE volume (kernel -> FUSE daemon -> page store), against the
 * same page read straight from the store ({@code FileTree.read}), interleaved in rounds. Run by
 * {@code scripts/bench-getpage}; prints p50/p99 and their ratio (docs/scale-out.md section 3).
 */
public final class GetPageProbe {
    static final int PAGE = 8192;

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int reads = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int rounds = 5;
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "arbor-getpage-");
        try (PageStore store = PageStore.open(dir.resolve("store"), StoreConfig.defaults())) {
            TimelineId t = store.createTimeline();
            FileTree tree = store.fileTree(t);
            long inode = tree.create("/rel", 0600).inode();
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
            Random fill = new Random(1);
            byte[] bytes = new byte[1 << 20];
            for (int i = 0; i < mib; i++) {
                fill.nextBytes(bytes);
                chunk.clear().put(bytes).flip();
                tree.write(inode, (long) i << 20, chunk);
            }
            tree.sync();
            store.compact(t); // image layers, as an idle branch would have them
            long pages = ((long) mib << 20) / PAGE;
            var ops = new FuseOpStats();
            try (FuseVolume vol = FuseVolume.mount(tree, dir.resolve("mnt"), OsAccount.current(), dir.resolve("store"), ops, null)) {
                Path file = vol.mountPoint().resolve("rel");
                long[] store1 = new long[reads * rounds], fuse1 = new long[reads * rounds];
                ByteBuffer buf = ByteBuffer.allocateDirect(PAGE * 2);
                ByteBuffer aligned = buf.alignedSlice(4096).limit(PAGE);
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
                    Random r = new Random(2);
                    for (int warm = 0; warm < reads; warm++) { // JIT and FUSE thread warm-up
                        long off = (r.nextLong(pages)) * PAGE;
                        aligned.clear().limit(PAGE); ch.read(aligned, off);
                        aligned.clear().limit(PAGE); tree.read(inode, off, aligned);
                    }
                    for (int round = 0; round < rounds; round++) {
                        for (int i = 0; i < reads; i++) {
                            int k = round * reads + i;
                            long off = r.nextLong(pages) * PAGE;
                            aligned.clear().limit(PAGE);
                            long t0 = System.nanoTime();
                            int n = ch.read(aligned, off);
                            fuse1[k] = System.nanoTime() - t0;
                            if (n != PAGE) throw new IllegalStateException("short FUSE read " + n + " at " + off);
                            off = r.nextLong(pages) * PAGE;
                            aligned.clear().limit(PAGE);
                            t0 = System.nanoTime();
                            n = tree.read(inode, off, aligned);
                            store1[k] = System.nanoTime() - t0;
                            if (n != PAGE) throw new IllegalStateException("short store read " + n + " at " + off);
                        }
                    }
                }
                // O_DIRECT must reach the daemon every time, or this measured the kernel's page cache
                long daemonReads = ops.of(FuseOperations.Operation.READ).count();
                if (daemonReads < (long) reads * (rounds + 1))
                    throw new IllegalStateException("only " + daemonReads + " FUSE READ callbacks for " + (long) reads * (rounds + 1) + " O_DIRECT reads");
                Arrays.sort(store1);
                Arrays.sort(fuse1);
                System.out.printf("GetPage probe: %d MiB file, %d random 8 KiB reads each, %d rounds interleaved%n", mib, reads, rounds);
                System.out.printf("  FUSE READ callbacks in the daemon: %d%n", daemonReads);
                System.out.printf("  store FileTree.read        p50 %6.1f us  p99 %7.1f us%n", us(store1, 0.50), us(store1, 0.99));
                System.out.printf("  O_DIRECT pread over FUSE   p50 %6.1f us  p99 %7.1f us%n", us(fuse1, 0.50), us(fuse1, 0.99));
                System.out.printf("  FUSE / store               p50 %6.2fx    p99 %7.2fx%n",
                        us(fuse1, 0.50) / us(store1, 0.50), us(fuse1, 0.99) / us(store1, 0.99));
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static double us(long[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1000.0;
    }
}
