package dev.arbor.backend.compute;

import dev.arbor.backend.compute.volume.LocalWal;
import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.FileTree;
import dev.arbor.storage.PageStore;
import dev.arbor.storage.StorageException;
import dev.arbor.storage.TimelineId;

import java.nio.file.Path;

/** {@link TimelineTrees} over the real page store. Scratch timelines are ordinary children, deleted on suspend. */
public record PageStoreTrees(PageStore store) implements TimelineTrees {
    @Override public FileTree writable(TimelineId timeline) { return store.fileTree(timeline); }

    /** A time is read {@link LocalWal#covering late enough} to hold the commits acknowledged by then. */
    @Override public TimelineId createScratch(TimelineId parent, BranchPoint point) {
        return store.branch(parent, LocalWal.covering(point));
    }

    @Override
    public void dropScratch(TimelineId scratch) {
        try {
            store.delete(scratch);
        } catch (StorageException.NotFound e) {
            // already gone
        }
    }

    @Override public Path storeDir() { return store.directory(); }
}
