package dev.arbor.storage;

/**
 * One stored version of a key, as reachable from a timeline: the timeline whose layer holds it, its
 * key, LSN and value ({@code null} for a tombstone).
 */
public record KeyVersion(TimelineId owner, Key key, Lsn lsn, byte[] value) {
    public boolean tombstone() { return value == null; }
}
