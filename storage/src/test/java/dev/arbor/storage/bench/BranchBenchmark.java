package dev.arbor.storage.bench;

import dev.arbor.storage.*;
import org.openjdk.jmh.annotations.*;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Branch creation cost against the parent's size: it must be flat (metadata only). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
public class BranchBenchmark {
    @Param({"1000", "1000000"})
    public long pages;

    private Path dir;
    private PageStore store;
    private TimelineId base;

    @Setup(Level.Trial)
    public void setup() {
        dir = Bench.scratch("branch");
        store = PageStore.open(dir, StoreConfig.defaults());
        base = store.createTimeline(null);
        Bench.fill(store.fileTree(base), "/rel", pages, 1);
    }

    @Benchmark
    public TimelineId branchAtHead() {
        return store.branch(base, BranchPoint.head());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        store.close();
        Bench.delete(dir);
    }
}
