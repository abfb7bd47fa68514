package dev.arbor.storage;

import java.time.Instant;

/** Where on its parent a new timeline starts. */
public sealed interface BranchPoint {
    /** The parent's current head. */
    record Head() implements BranchPoint {}
    /** An exact LSN within the parent's history window and at or below its head. */
    record AtLsn(Lsn lsn) implements BranchPoint {}
    /** The newest LSN committed at or before this wall-clock time. */
    record AtTime(Instant time) implements BranchPoint {}

    static BranchPoint head() { return new Head(); }
    static BranchPoint at(Lsn lsn) { return new AtLsn(lsn); }
    static BranchPoint at(Instant time) { return new AtTime(time); }
}
