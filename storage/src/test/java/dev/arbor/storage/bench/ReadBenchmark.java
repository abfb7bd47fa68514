package dev.arbor.storage.bench;

import dev.arbor.storage.*;
import org.openjdk.jmh.annotations.*;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Random 8 KiB page reads on the leaf of a chain of {@code depth} branches, every timeline compacted
 * (image layers), each branch having rewritten 1% of the pages. Most reads fall through to the root.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class ReadBenchmark {
    static final int PAGES = 32768;  // 256 MiB

    @Param({"1", "10"})
    public int depth;

    private Path dir;
    private PageStore store;
    private FileTree leaf;
    private long inode;
    private final ByteBuffer buf = ByteBuffer.allocate(8192);
    private final SplittableRandom random = new SplittableRandom(3);

    @Setup(Level.Trial)
    public void setup() {
        dir = Bench.scratch("read");
        store = PageStore.open(dir, StoreConfig.defaults());
        TimelineId t = store.createTimeline(null);
        inode = Bench.fill(store.fileTree(t), "/rel", PAGES, 1);
        store.compact(t);
        Random r = new Random(5);
        byte[] page = new byte[8192];
        for (int d = 0; d < depth; d++) {
            t = store.branch(t, BranchPoint.head());
            FileTree c = store.fileTree(t);
            for (int i = 0; i < PAGES / 100; i++) {
                r.nextBytes(page);
                c.write(inode, (long) r.nextInt(PAGES) * 8192, ByteBuffer.wrap(page));
            }
            store.compact(t);
        }
        leaf = store.fileTree(t);
    }

    @Benchmark
    public int readPage() {
        buf.clear();
        return leaf.read(inode, (long) random.nextInt(PAGES) * 8192, buf);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        store.close();
        Bench.delete(dir);
    }
}
