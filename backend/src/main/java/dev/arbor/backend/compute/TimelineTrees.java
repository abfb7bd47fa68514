package dev.arbor.backend.compute;

import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.FileTree;
import dev.arbor.storage.TimelineId;

import java.nio.file.Path;

/** What compute needs from the page store. {@link PageStoreTrees} is the real one. */
public interface TimelineTrees {
    /** The timeline's head as a writable tree (what a read_write endpoint mounts). */
    FileTree writable(TimelineId timeline);

    /**
     * A private copy-on-write child of {@code parent} at {@code point}. A read-only endpoint's postgres writes
     * its lock file, stats and recovery state there, so the branch it serves is never written.
     */
    TimelineId createScratch(TimelineId parent, BranchPoint point);

    /** Drops a scratch timeline made by {@link #createScratch}; one already gone is fine. */
    void dropScratch(TimelineId scratch);

    /** Where the store keeps its files (FUSE statfs reports that filesystem's space). */
    Path storeDir();
}
