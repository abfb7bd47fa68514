package dev.arbor.backend.iac;

/** What a write or lock call on a state did; {@link HeldBy} carries the holder's LockInfo JSON for Terraform. */
public sealed interface StateOutcome {
    /** A new version was stored, or {@code unchanged} when the body equals the latest version (a retried POST). */
    record Stored(StateVersion version, boolean unchanged) implements StateOutcome {}
    record Locked(String lockInfo) implements StateOutcome {}
    record Unlocked(boolean wasLocked) implements StateOutcome {}
    record Deleted(boolean existed) implements StateOutcome {}
    /** Someone else holds the lock. */
    record HeldBy(String lockInfo) implements StateOutcome {}
    /** The caller named a lock ID but the state is not locked (force-unlocked meanwhile). */
    record NotLocked(String lockId) implements StateOutcome {}
}
