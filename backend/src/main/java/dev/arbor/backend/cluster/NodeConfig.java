package dev.arbor.backend.cluster;

import java.time.Duration;

/**
 * One node of a multi-node deployment ({@code ./arbor server --node-id ...}): several nodes share one external
 * metadata PostgreSQL and one bucket, and each project is served by the node holding its lease.
 *
 * @param nodeId         stable name of this node (a restarted node with the same id and disk keeps its local tail)
 * @param advertiseHost  host other nodes reach this node's API on, and clients its proxy on
 * @param leaseTtl       a lease not renewed for this long may be taken by another node
 * @param uploadInterval how often writes are pushed to the bucket: the most acknowledged data a lost node can lose
 */
public record NodeConfig(String nodeId, String advertiseHost, Duration leaseTtl, Duration uploadInterval) {
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(15);
    public static final Duration DEFAULT_UPLOAD_INTERVAL = Duration.ofSeconds(5);

    public NodeConfig {
        if (nodeId == null || !nodeId.matches("[A-Za-z0-9_.-]{1,63}")) {
            throw new IllegalArgumentException("--node-id must be 1-63 characters of letters, digits, '.', '_' or '-'");
        }
        if (leaseTtl.toMillis() < 1000) throw new IllegalArgumentException("--lease-ttl must be at least 1s");
        if (uploadInterval.isNegative() || uploadInterval.isZero()) throw new IllegalArgumentException("--upload-interval must be positive");
    }
}
