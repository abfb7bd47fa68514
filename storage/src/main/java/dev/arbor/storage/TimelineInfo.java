package dev.arbor.storage;

import java.time.Duration;
import java.time.Instant;

/**
 * A timeline's metadata. {@code ancestor} and {@code ancestorLsn} are {@code null} for a root (or detached)
 * timeline. Reads, branches and time travel are served for LSNs in [{@code windowStartLsn}, {@code headLsn}].
 */
public record TimelineInfo(TimelineId id, TimelineId ancestor, Lsn ancestorLsn, Lsn headLsn, Instant createdAt,
                           Duration historyWindow, Lsn windowStartLsn, Instant windowStartTime) {}
