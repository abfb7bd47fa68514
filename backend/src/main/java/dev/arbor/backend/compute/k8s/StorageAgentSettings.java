package dev.arbor.backend.compute.k8s;

/**
 * The node-local storage agent: one per Kubernetes node, serving the page store's FUSE volumes.
 *
 * @param namespace         namespace of the DaemonSet
 * @param image             an image holding {@code ./arbor} (none is published yet)
 * @param remoteStorage     the {@code --remote-storage} URL without keys ({@code s3://bucket/prefix?endpoint=...&region=...&cache_mib=N})
 * @param bucketSecret      Secret with {@code AWS_ACCESS_KEY_ID} and {@code AWS_SECRET_ACCESS_KEY}
 * @param metadataSecret    Secret with {@code url}: the metadata PostgreSQL URL (it holds a password)
 * @param hostCacheRoot     host directory for the layer cache (node-local NVMe)
 * @param hostMountRoot     host directory under which endpoint volumes are mounted (= {@link PlacementSettings#hostMountRoot})
 * @param fuseUid           uid the volumes present their files as (= {@link PlacementSettings#postgresUid})
 * @param memoryMiB         memory request and limit of the agent (page store heap, open layers, indexes)
 */
public record StorageAgentSettings(String namespace, String image, String remoteStorage, String bucketSecret,
                                   String metadataSecret, String hostCacheRoot, String hostMountRoot, int fuseUid,
                                   long memoryMiB) {
    public StorageAgentSettings {
        PlacementSettings.requireLabel("namespace", namespace);
        PlacementSettings.requireLabel("bucket secret", bucketSecret);
        PlacementSettings.requireLabel("metadata secret", metadataSecret);
        if (image == null || image.isBlank()) throw new InvalidPlacement("agent image is empty");
        if (remoteStorage == null || !remoteStorage.startsWith("s3://"))
            throw new InvalidPlacement("remote storage must be an s3:// URL: " + remoteStorage);
        if (remoteStorage.contains("secret_key=") || remoteStorage.contains("access_key="))
            throw new InvalidPlacement("remote storage URL carries keys; put them in the bucket secret");
        for (String dir : new String[]{hostCacheRoot, hostMountRoot})
            if (dir == null || !dir.startsWith("/") || dir.contains(".."))
                throw new InvalidPlacement("host directory must be absolute without '..': " + dir);
        if (fuseUid <= 0) throw new InvalidPlacement("volumes must not present files as root (uid " + fuseUid + ")");
        if (memoryMiB < 512) throw new InvalidPlacement("agent memory below 512 MiB: " + memoryMiB);
    }
}
