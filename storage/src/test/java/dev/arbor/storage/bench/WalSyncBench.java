package dev.arbor.storage.bench;

import dev.arbor.storage.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The commit path of Postgres on the store, in isolation: one "commit" = one 8 KiB append to a
 * {@code /pg_wal/} segment followed by a durability barrier, with {@code dataPages} random 8 KiB
 * data-page writes (evictions, never synced by the commit) before it. Compares the store
 * ({@code FileTree.sync()}) to plain files where the commit fdatasyncs only the WAL segment, with and
 * without the interleaved data writes: the gap between the two store rows is what a WAL sync that
 * does not carry data pages could win. Run: {@code scripts/bench-storage --wal-sync}.
 */
public final class WalSyncBench {
    static final int SEGMENT = 16 << 20, DATA_PAGES = 8192;

    public static void main(String[] args) throws Exception {
        long millis = Long.getLong("bench.millis", 500);
        int rounds = Integer.getInteger("bench.rounds", 12);
        int dataPages = Integer.getInteger("bench.dataPages", 2);
        System.out.printf(Locale.ROOT, "WAL commit path: 8 KiB WAL append + sync per commit; %d rounds of %d ms per case, "
                + "cases interleaved (paired against load drift), medians%n", rounds, millis);
        double[][] c = new double[4][rounds];
        for (int round = -1; round < rounds; round++) {  // round -1 is warm-up
            double a = plain(millis, dataPages), b = store(millis, dataPages), x = plain(millis, 0), y = store(millis, 0);
            if (round < 0) continue;
            c[0][round] = a; c[1][round] = b; c[2][round] = x; c[3][round] = y;
        }
        double[] m = new double[4], ratioMixed = new double[rounds], ratioWal = new double[rounds];
        for (int i = 0; i < 4; i++) m[i] = median(c[i]);
        for (int r = 0; r < rounds; r++) {
            ratioMixed[r] = c[1][r] / c[0][r];
            ratioWal[r] = c[3][r] / c[2][r];
        }
        System.out.printf(Locale.ROOT, "| %-52s | %12s | %12s | %-22s |%n", "case", "native c/s", "store c/s", "ratio (median of pairs)");
        System.out.printf(Locale.ROOT, "| %-52s | %12.0f | %12.0f | %-22.2f |%n",
                "WAL append + sync, " + dataPages + " data-page writes per commit", m[0], m[1], median(ratioMixed));
        System.out.printf(Locale.ROOT, "| %-52s | %12.0f | %12.0f | %-22.2f |%n",
                "WAL append + sync, no data writes", m[2], m[3], median(ratioWal));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double plain(long millis, int dataPages) throws IOException {
        Path dir = Bench.scratch("walsync-plain");
        try (FileChannel wal = FileChannel.open(dir.resolve("wal"), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
             FileChannel data = FileChannel.open(dir.resolve("data"), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            // Postgres zero-fills WAL segments ahead (wal_init_zero): commits overwrite, never grow the file.
            ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
            for (long off = 0; off < SEGMENT; off += zeros.capacity()) wal.write(zeros.clear(), off);
            data.write(ByteBuffer.allocate(8192), (long) DATA_PAGES * 8192 - 8192);
            wal.force(true);
            data.force(true);
            ByteBuffer page = ByteBuffer.allocate(8192);
            SplittableRandom r = new SplittableRandom(1);
            long commits = 0, end = System.nanoTime() + millis * 1_000_000;
            while (System.nanoTime() < end) {
                for (int i = 0; i < dataPages; i++)
                    data.write(page.clear().putLong(0, r.nextLong()).clear(), (long) r.nextInt(DATA_PAGES) * 8192);
                wal.write(page.clear().putLong(0, commits).clear(), (commits * 8192) % SEGMENT);
                wal.force(false);
                commits++;
            }
            return commits * 1000.0 / millis;
        } finally {
            Bench.delete(dir);
        }
    }

    private static double store(long millis, int dataPages) {
        Path dir = Bench.scratch("walsync-store");
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            FileTree t = store.fileTree(store.createTimeline(null));
            t.mkdir("/pg_wal", 0700);
            t.mkdir("/base", 0700);
            long wal = t.create("/pg_wal/000000010000000000000001", 0600).inode();
            long data = t.create("/base/16384", 0600).inode();
            t.truncate(data, (long) DATA_PAGES * 8192);
            t.sync();
            ByteBuffer page = ByteBuffer.allocate(8192);
            SplittableRandom r = new SplittableRandom(1);
            long commits = 0, end = System.nanoTime() + millis * 1_000_000;
            while (System.nanoTime() < end) {
                for (int i = 0; i < dataPages; i++)
                    t.write(data, (long) r.nextInt(DATA_PAGES) * 8192, page.clear().putLong(0, r.nextLong()).clear());
                t.write(wal, (commits * 8192) % SEGMENT, page.clear().putLong(0, commits).clear());
                t.sync();
                commits++;
            }
            return commits * 1000.0 / millis;
        } finally {
            Bench.delete(dir);
        }
    }
}
