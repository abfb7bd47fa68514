package dev.arbor.storage.bench;

import dev.arbor.storage.*;
import dev.arbor.storage.layer.LayerFile;
import dev.arbor.storage.remote.RemoteLayerConfig;
import dev.arbor.storage.remote.S3Config;
import dev.arbor.storage.remote.S3ProxyServer;
import dev.arbor.storage.remote.S3RemoteStorage;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

/**
 * Cold vs warm page reads with remote layer storage, side by side in one run: a warm read hits a resident
 * layer file (one checked pread); a cold read misses (the layer was evicted) and reads the record with one
 * ranged GET from s3proxy on loopback (checked by its CRC), while the whole layer comes back in the background.
 * Also times bringing one evicted layer back whole (GET + scrub + fsync + rename) and a node opening the
 * timeline on an empty disk. Run by scripts/bench-remote. Args: [--quick] (smaller file, fewer samples).
 */
public final class RemoteReadBench {
    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        long fileMiB = quick ? 16 : 64;
        int warmReads = quick ? 5_000 : 50_000, coldReads = quick ? 10 : 40;
        long[] layerMiB = quick ? new long[]{2, 8} : new long[]{4, 16, 64};
        System.out.printf("remote layers: %d MiB file, page reads of 8 KiB, s3proxy %s on loopback (in-memory blobs)%n",
                fileMiB, "4.1.0");
        System.out.printf("%-10s %8s %12s %12s %12s %12s %10s %14s %14s%n", "layer", "layers", "warm p50", "warm p99",
                "cold p50", "cold p99", "cold/warm", "layer restore", "empty-disk open");
        try (S3ProxyServer s3 = new S3ProxyServer()) {
            int n = 0;
            for (long lm : layerMiB) {
                S3Config bucket = s3.bucket("bench-" + n++);
                StoreConfig config = StoreConfig.defaults().withOpenLayerBytes(lm << 20);
                Path a = Bench.scratch("remote-a"), b = Bench.scratch("remote-b");
                try {
                    TimelineId id;
                    long inode;
                    long pages = (fileMiB << 20) / 8192;
                    int layers;
                    double[] warm, cold, restore;
                    try (PageStore store = PageStore.open(a, config, new RemoteLayerConfig(S3RemoteStorage.open(bucket), Long.MAX_VALUE))) {
                        id = store.createTimeline();
                        FileTree t = store.fileTree(id);
                        inode = Bench.fill(t, "/rel", pages, 1);
                        store.flushToRemote(id, Duration.ofMinutes(10));
                        layers = store.timeline(id).layerCount();
                        Random r = new Random(7);
                        ByteBuffer page = ByteBuffer.allocate(8192);
                        for (int i = 0; i < warmReads; i++) read(t, inode, r, pages, page);  // JIT warm-up
                        warm = new double[warmReads];
                        for (int i = 0; i < warmReads; i++) warm[i] = read(t, inode, r, pages, page);
                        cold = new double[coldReads];
                        restore = new double[Math.max(1, coldReads / 4)];
                        for (int i = 0; i < coldReads; i++) {
                            store.remote().awaitRestores();  // the previous miss's layer is coming back: let it, then evict
                            store.remote().evictAll();
                            if (!store.timeline(id).layers().stream().allMatch(LayerFile::isEvicted))
                                throw new IllegalStateException("evictAll left layers resident");
                            cold[i] = read(t, inode, r, pages, page);
                        }
                        for (int i = 0; i < restore.length; i++) {
                            store.remote().awaitRestores();
                            store.remote().evictAll();
                            LayerFile l = store.timeline(id).layers().get(i % layers);
                            long s = System.nanoTime();
                            l.ensureLocal();
                            restore[i] = (System.nanoTime() - s) / 1e6;
                        }
                    }
                    long t0 = System.nanoTime();
                    try (PageStore store = PageStore.open(b, config, new RemoteLayerConfig(S3RemoteStorage.open(bucket), Long.MAX_VALUE))) {
                        double openMs = (System.nanoTime() - t0) / 1e6;
                        if (store.usage(id).logicalSize() != pages * 8192) throw new IllegalStateException("restored size mismatch");
                        Arrays.sort(warm);
                        Arrays.sort(cold);
                        Arrays.sort(restore);
                        System.out.printf("%-10s %8d %9.1f us %9.1f us %9.2f ms %9.2f ms %9.0fx %11.0f ms %8.0f ms (%.0f MiB/s)%n",
                                lm + " MiB", layers, pct(warm, 50), pct(warm, 99), pct(cold, 50) / 1000, pct(cold, 99) / 1000,
                                pct(cold, 50) / pct(warm, 50), pct(restore, 50), openMs, fileMiB / (openMs / 1000));
                    }
                } finally {
                    Bench.delete(a);
                    Bench.delete(b);
                }
            }
        }
        System.out.println("warm = resident layer (checked pread, page cache warm); cold = evicted layer: one ranged GET of the "
                + "record, CRC-checked; layer restore = median time to bring one evicted layer back whole (GET, scrub of every "
                + "record, fsync, rename); empty-disk open = a new node downloading the timeline.");
    }

    /** One random page read; returns microseconds. */
    private static double read(FileTree t, long inode, Random r, long pages, ByteBuffer page) {
        page.clear();
        long off = (long) r.nextInt((int) pages) * 8192;
        long s = System.nanoTime();
        t.read(inode, off, page);
        return (System.nanoTime() - s) / 1e3;
    }

    private static double pct(double[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
