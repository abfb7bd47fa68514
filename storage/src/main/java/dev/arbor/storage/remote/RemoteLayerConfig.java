package dev.arbor.storage.remote;

import java.util.Objects;

/**
 * Remote layer storage for a {@link dev.arbor.storage.PageStore}: layer files and manifests are uploaded
 * to {@code storage} after they are durable locally, and the local directory becomes a cache of at most
 * {@code localCacheBytes} of layer files (logs and not-yet-uploaded layers are never evicted, so the bound
 * can be exceeded while uploads lag).
 */
public record RemoteLayerConfig(RemoteStorage storage, long localCacheBytes) {
    public RemoteLayerConfig {
        Objects.requireNonNull(storage, "remote storage");
        if (localCacheBytes < 0) throw new IllegalArgumentException("localCacheBytes must be >= 0");
    }
}
