package dev.arbor.storage.remote;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Remote layer storage for a {@link dev.arbor.storage.PageStore}: layer files and manifests are uploaded
 * to {@code storage} after they are durable locally, and the local directory becomes a cache of at most
 * {@code localCacheBytes} of layer files (logs and not-yet-uploaded layers are never evicted, so the bound
 * can be exceeded while uploads lag). The store takes ownership of {@code storage} and closes it.
 *
 * @param attachOnOpen true: {@code PageStore.open} serves every timeline of the bucket and of the local disk
 *                     (one node owns the bucket). false (cluster mode, several nodes share the bucket): open
 *                     serves, recovers and uploads nothing; the node serves only the timelines it
 *                     {@code attach}es (those whose lease it holds), so it never writes another node's objects.
 */
public record RemoteLayerConfig(RemoteStorage storage, long localCacheBytes, boolean attachOnOpen) {
    public RemoteLayerConfig {
        Objects.requireNonNull(storage, "remote storage");
        if (localCacheBytes < 0) throw new IllegalArgumentException("localCacheBytes must be >= 0");
    }

    /** One node owning the bucket: open serves every timeline in it. */
    public RemoteLayerConfig(RemoteStorage storage, long localCacheBytes) {
        this(storage, localCacheBytes, true);
    }

    public RemoteLayerConfig withAttachOnOpen(boolean attach) {
        return new RemoteLayerConfig(storage, localCacheBytes, attach);
    }

    /** Local cache bound when the URL sets none. */
    public static final long DEFAULT_CACHE_BYTES = 10L << 30;

    /**
     * Connects to the bucket of a server option such as
     * {@code s3://bucket[/prefix]?endpoint=http://host:9000&region=us-east-1&cache_mib=20480}
     * ({@code cache_mib}: local layer cache bound, default 10 GiB; the rest is {@link S3Config#parse}).
     * @throws IllegalArgumentException on a malformed URL; StorageException if the bucket is unreachable
     */
    public static RemoteLayerConfig open(String url) {
        long cache = DEFAULT_CACHE_BYTES;
        int q = url.indexOf('?');
        if (q >= 0) {
            List<String> rest = new ArrayList<>();
            for (String kv : url.substring(q + 1).split("&")) {
                if (!kv.startsWith("cache_mib=")) {
                    rest.add(kv);
                    continue;
                }
                try {
                    cache = Math.multiplyExact(Long.parseLong(kv.substring(10)), 1L << 20);
                } catch (NumberFormatException | ArithmeticException e) {
                    throw new IllegalArgumentException("cache_mib must be a number of MiB, got " + kv.substring(10));
                }
            }
            url = url.substring(0, q) + (rest.isEmpty() ? "" : "?" + String.join("&", rest));
        }
        return new RemoteLayerConfig(S3RemoteStorage.open(S3Config.parse(url)), cache);
    }
}
