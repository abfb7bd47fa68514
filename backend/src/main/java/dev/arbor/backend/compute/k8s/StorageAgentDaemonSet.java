package dev.arbor.backend.compute.k8s;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;

import java.util.List;
import java.util.Map;

/**
 * The storage agent as a DaemonSet: the page store with its layer cache on the node's disk and the FUSE
 * server that today runs inside the backend, one per node. Privileged because it mounts FUSE
 * ({@code /dev/fuse}, {@code CAP_SYS_ADMIN}) and its mounts must propagate back to the host
 * ({@code Bidirectional}), where endpoint pods pick them up. Prototype: {@code arbor agent} does not exist yet;
 * this is the shape it would be deployed in.
 */
public final class StorageAgentDaemonSet {
    public static final String NAME = "arbor-storage-agent";
    static final String CACHE_DIR = "/var/lib/arbor/data";

    private StorageAgentDaemonSet() {}

    public static DaemonSet build(StorageAgentSettings s) {
        Map<String, String> labels = Map.of(PodPlacement.APP_LABEL, NAME);
        Quantity memory = new Quantity(s.memoryMiB() + "Mi");
        return new DaemonSetBuilder()
                .withNewMetadata().withName(NAME).withNamespace(s.namespace()).withLabels(labels).endMetadata()
                .withNewSpec()
                    .withNewSelector().withMatchLabels(labels).endSelector()
                    // Replacing an agent unmounts every endpoint volume on its node: roll it by hand, node by node,
                    // after draining that node's projects (leases handed back), never automatically.
                    .withNewUpdateStrategy().withType("OnDelete").endUpdateStrategy()
                    .withNewTemplate()
                        .withNewMetadata().withLabels(labels).endMetadata()
                        .withNewSpec()
                            .withPriorityClassName("system-node-critical")
                            .withTerminationGracePeriodSeconds(120L) // orderly stop: endpoints, uploads, lease hand-back
                            .addNewContainer()
                                .withName("agent")
                                .withImage(s.image())
                                .withArgs("agent", "--node-id", "$(NODE_NAME)", "--data-dir", CACHE_DIR,
                                        "--mount-root", s.hostMountRoot(), "--fuse-uid", Integer.toString(s.fuseUid()),
                                        "--remote-storage", s.remoteStorage())
                                // the metadata URL holds a password: from the Secret into ARBOR_METADATA_URL, never
                                // expanded into args (they show in the pod spec's events and in /proc/<pid>/cmdline)
                                .withEnv(env(s))
                                .withNewSecurityContext().withPrivileged(true).endSecurityContext()
                                .withNewResources().withRequests(Map.of("memory", memory)).withLimits(Map.of("memory", memory)).endResources()
                                .addNewVolumeMount().withName("fuse").withMountPath("/dev/fuse").endVolumeMount()
                                .addNewVolumeMount().withName("cache").withMountPath(CACHE_DIR).endVolumeMount()
                                // the same path inside and out, so the mount points it reports are the host's
                                .addNewVolumeMount().withName("mounts").withMountPath(s.hostMountRoot())
                                    .withMountPropagation("Bidirectional").endVolumeMount()
                            .endContainer()
                            .addNewVolume().withName("fuse").withNewHostPath().withPath("/dev/fuse").withType("CharDevice").endHostPath().endVolume()
                            .addNewVolume().withName("cache").withNewHostPath().withPath(s.hostCacheRoot()).withType("DirectoryOrCreate").endHostPath().endVolume()
                            .addNewVolume().withName("mounts").withNewHostPath().withPath(s.hostMountRoot()).withType("DirectoryOrCreate").endHostPath().endVolume()
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
    }

    private static List<EnvVar> env(StorageAgentSettings s) {
        return List.of(
                new EnvVarBuilder().withName("NODE_NAME").withNewValueFrom().withNewFieldRef().withFieldPath("spec.nodeName")
                        .endFieldRef().endValueFrom().build(),
                secretEnv("AWS_ACCESS_KEY_ID", s.bucketSecret(), "AWS_ACCESS_KEY_ID"),
                secretEnv("AWS_SECRET_ACCESS_KEY", s.bucketSecret(), "AWS_SECRET_ACCESS_KEY"),
                secretEnv("ARBOR_METADATA_URL", s.metadataSecret(), "url"));
    }

    private static EnvVar secretEnv(String name, String secret, String key) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewSecretKeyRef().withName(secret).withKey(key)
                .endSecretKeyRef().endValueFrom().build();
    }
}
