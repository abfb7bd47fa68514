package dev.arbor.storage;

/** What {@link PageStore#compact} did: delta layers flushed from memory and the image layer written, if any. */
public record CompactionResult(TimelineId timeline, int deltasFlushed, Lsn imageLsn, long imageBytes, int imageKeys) {
    public boolean imageCreated() { return imageLsn != null; }
}
