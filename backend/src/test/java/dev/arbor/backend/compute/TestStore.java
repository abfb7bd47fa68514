package dev.arbor.backend.compute;

import dev.arbor.backend.compute.volume.MemoryTree;
import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.FileTree;
import dev.arbor.storage.TimelineId;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The store the compute tests run on. */
final class TestStore implements AutoCloseable {
    private final Path dir;
    private final Map<TimelineId, MemoryTree> trees = new ConcurrentHashMap<>();

    private TestStore(Path dir) { this.dir = dir; }

    static TestStore open(Path dir) throws Exception {
        Files.createDirectories(dir);
        return new TestStore(dir);
    }

    TimelineId createRoot() {
        var t = new MemoryTree(false);
        trees.put(t.timeline(), t);
        return t.timeline();
    }

    TimelineId branch(TimelineId parent) {
        var c = trees.get(parent).copy(false);
        trees.put(c.timeline(), c);
        return c.timeline();
    }

    TimelineTrees trees() {
        return new TimelineTrees() {
            @Override public FileTree writable(TimelineId t) { return trees.get(t); }
            @Override public TimelineId createScratch(TimelineId parent, BranchPoint p) { return branch(parent); }
            @Override public void dropScratch(TimelineId s) { trees.remove(s); }
            @Override public Path storeDir() { return dir; }
        };
    }

    @Override public void close() {}
}
