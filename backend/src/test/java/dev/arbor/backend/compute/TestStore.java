package dev.arbor.backend.compute;

import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.PageStore;
import dev.arbor.storage.StoreConfig;
import dev.arbor.storage.TimelineId;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** The real page store the compute tests run on (with its background flush/compaction thread). */
final class TestStore implements AutoCloseable {
    final PageStore store;

    private TestStore(PageStore store) { this.store = store; }

    static TestStore open(Path dir) throws Exception {
        Files.createDirectories(dir);
        return new TestStore(PageStore.open(dir, StoreConfig.defaults().withBackground(Duration.ofMillis(500), Duration.ofMinutes(10))));
    }

    TimelineId createRoot() { return store.createTimeline(); }

    TimelineId branch(TimelineId parent) { return store.branch(parent, BranchPoint.head()); }

    TimelineTrees trees() { return new PageStoreTrees(store); }

    @Override public void close() { store.close(); }
}
