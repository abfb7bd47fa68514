package dev.arbor.backend.ops;

import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.Lsn;
import dev.arbor.storage.TimelineId;

import java.time.Duration;
import java.time.Instant;

/**
 * What branches are made of: page-store timelines. The control plane calls it from operation steps
 * (on virtual threads). Implementations map store failures to {@link dev.arbor.storage.StorageException}s.
 */
public interface BranchStorage {
    /** A fresh root timeline: a project's first branch, or a schema-only branch. */
    TimelineId createRoot(String projectId, String branchId, Duration historyRetention);

    /** A copy-on-write child of {@code parent} starting at {@code point}. */
    CreatedTimeline createBranch(String projectId, String branchId, TimelineId parent, BranchPoint point);

    /**
     * Checks, before a branch is accepted, that {@code point} can be served from {@code parent}
     * (inside its history window, not past its head).
     * @throws dev.arbor.storage.StorageException.InvalidLsn if it cannot
     */
    void checkBranchPoint(TimelineId parent, BranchPoint point);

    /**
     * The store LSN a branch point denotes on {@code timeline} (see {@link dev.arbor.storage.PageStore#resolve}).
     * LSNs in the API are these store LSNs, not PostgreSQL WAL positions.
     * @throws dev.arbor.storage.StorageException.InvalidLsn outside the history window, after the head, in the future
     */
    Lsn resolve(TimelineId timeline, BranchPoint point);

    /** Deletes a timeline without children; a timeline that is already gone is fine. */
    void delete(TimelineId timeline);

    /** Logical size in bytes, for {@code branch.logical_size}; -1 if unknown. */
    long logicalSize(TimelineId timeline);

    boolean healthy();

    /** A new timeline and the LSN on its parent where it starts. */
    record CreatedTimeline(TimelineId timeline, Lsn branchLsn, Instant branchTime) {}
}
