package dev.arbor.storage;

/** What {@link PageStore#gc} removed. */
public record GcResult(int layersRemoved, long bytesRemoved) {}
