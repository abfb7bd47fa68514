package dev.arbor.backend.compute.k8s;

import java.util.regex.Pattern;

/**
 * Where and how an endpoint pod runs.
 *
 * @param namespace     Kubernetes namespace of the endpoint pods and their secrets
 * @param postgresImage a vanilla PostgreSQL image (the official Debian-based {@code postgres:15})
 * @param agentNode     the Kubernetes node whose storage agent holds the project's lease (section 2 of
 *                      docs/scale-out.md): the only node where the endpoint's FUSE volume exists
 * @param hostMountRoot where the agent mounts endpoint volumes on the host: {@code <root>/<endpoint-id>/pgdata}
 * @param postgresUid   uid (and gid) postgres runs as: 999 in the official image. The agent's FUSE volume
 *                      presents every file as owned by this uid (it has no uid mapping of its own), so the
 *                      agent must be started with the same number ({@link StorageAgentSettings#fuseUid})
 * @param proxyCidr     addresses the Arbor proxy connects from (pod network); pg_hba admits SCRAM from there only
 */
public record PlacementSettings(String namespace, String postgresImage, String agentNode, String hostMountRoot,
                                int postgresUid, String proxyCidr) {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern CIDR = Pattern.compile("[0-9a-fA-F:.]+/[0-9]{1,3}");

    public static final String DEFAULT_IMAGE = "postgres:15";
    public static final String DEFAULT_MOUNT_ROOT = "/var/lib/arbor/mounts";
    public static final int OFFICIAL_IMAGE_POSTGRES_UID = 999;

    public PlacementSettings {
        requireLabel("namespace", namespace);
        if (agentNode == null || !DNS_SUBDOMAIN.matcher(agentNode).matches())
            throw new InvalidPlacement("agent node name is not a Kubernetes node name: " + agentNode);
        if (postgresImage == null || postgresImage.isBlank()) throw new InvalidPlacement("postgres image is empty");
        if (hostMountRoot == null || !hostMountRoot.startsWith("/") || hostMountRoot.contains(".."))
            throw new InvalidPlacement("host mount root must be an absolute path without '..': " + hostMountRoot);
        if (postgresUid <= 0) throw new InvalidPlacement("postgres must not run as root (uid " + postgresUid + ")");
        if (proxyCidr == null || !CIDR.matcher(proxyCidr).matches()) throw new InvalidPlacement("proxy CIDR is not a CIDR: " + proxyCidr);
    }

    /** The official image, the default mount root, the whole pod network. */
    public static PlacementSettings defaults(String namespace, String agentNode, String proxyCidr) {
        return new PlacementSettings(namespace, DEFAULT_IMAGE, agentNode, DEFAULT_MOUNT_ROOT, OFFICIAL_IMAGE_POSTGRES_UID, proxyCidr);
    }

    static void requireLabel(String what, String value) {
        if (value == null || !DNS_LABEL.matcher(value).matches())
            throw new InvalidPlacement(what + " is not a DNS-1123 label (lower-case alphanumerics and '-', at most 63): " + value);
    }
}
