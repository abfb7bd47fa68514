package dev.arbor.storage.bench;

import dev.arbor.storage.*;
import org.openjdk.jmh.annotations.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Write throughput with a durability barrier every 8 writes: one op = 8 random 8 KiB page writes into a
 * 64 MiB file, then sync (64 KiB per op). {@code store} goes through the page store, {@code nativeFile}
 * does the same on a plain file (pwrite + fdatasync) as the baseline.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 3)
public class WriteBenchmark {
    static final int PAGES = 8192;

    private Path dir;
    private PageStore store;
    private FileTree tree;
    private long inode;
    private FileChannel plain;
    private final ByteBuffer page = ByteBuffer.allocate(8192);
    private final SplittableRandom random = new SplittableRandom(9);

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Bench.scratch("write");
        store = PageStore.open(dir.resolve("store"), StoreConfig.defaults());
        TimelineId t = store.createTimeline(null);
        tree = store.fileTree(t);
        inode = tree.create("/rel", 0600).inode();
        tree.truncate(inode, (long) PAGES * 8192);
        plain = FileChannel.open(dir.resolve("plain"), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        plain.write(ByteBuffer.allocate(8192), (long) PAGES * 8192 - 8192);
        plain.force(true);
    }

    @Benchmark
    public void store() {
        for (int i = 0; i < 8; i++) {
            page.clear();
            page.putLong(0, random.nextLong());
            tree.write(inode, (long) random.nextInt(PAGES) * 8192, page);
        }
        tree.sync();
    }

    @Benchmark
    public void nativeFile() throws IOException {
        for (int i = 0; i < 8; i++) {
            page.clear();
            page.putLong(0, random.nextLong());
            plain.write(page, (long) random.nextInt(PAGES) * 8192);
        }
        plain.force(false);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        store.close();
        plain.close();
        Bench.delete(dir);
    }
}
