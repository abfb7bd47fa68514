package dev.arbor.backend.compute.k8s;

import dev.arbor.backend.compute.ConfigScripts;
import dev.arbor.backend.meta.Ids;
import dev.arbor.backend.ops.EndpointSpec;
import dev.arbor.storage.TimelineId;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The objects {@link PodPlacement} and {@link StorageAgentDaemonSet} build, serialised to YAML with fabric8 and
 * parsed back, so what is asserted is what a cluster would receive. Writes the YAML to target/k8s/ (the
 * excerpt in docs/scale-out.md section 3 comes from there).
 */
class PodPlacementTest {
    static final String PASSWORD = "Sw0rdfish-" + Long.toHexString(System.nanoTime());
    static final String NODE = "ip-10-0-3-17.eu-west-1.compute.internal";
    static final PlacementSettings SETTINGS = PlacementSettings.defaults("arbor-endpoints", NODE, "10.244.0.0/16");

    static EndpointSpec spec(String type, double minCu, double maxCu) {
        String ep = Ids.endpoint();
        return new EndpointSpec(Ids.project(), ep, Ids.branch(), TimelineId.generate(), type, 15, minCu, maxCu, 300,
                Map.of("work_mem", "8MB", "listen_addresses", "localhost", "port", "6000"),
                List.of(new EndpointSpec.RoleSpec("app_owner", PASSWORD, false), new EndpointSpec.RoleSpec("readers", null, true)),
                List.of(new EndpointSpec.DatabaseSpec("app", "app_owner")));
    }

    static <T> T roundTrip(T object, Class<T> type, String file) throws IOException {
        String yaml = Serialization.asYaml(object);
        Path out = Path.of("target", "k8s", file);
        Files.createDirectories(out.getParent());
        Files.writeString(out, yaml);
        return Serialization.unmarshal(yaml, type);
    }

    @Test
    void endpointPodRunsVanillaPostgresNonRootOnTheAgentsMountPinnedToItsNode() throws IOException {
        EndpointSpec spec = spec("read_write", 0.25, 2);
        Pod pod = roundTrip(new PodPlacement(SETTINGS).pod(spec), Pod.class, "endpoint-pod.yaml");

        assertThat(pod.getMetadata().getName()).isEqualTo("arbor-" + spec.endpointId());
        assertThat(pod.getMetadata().getNamespace()).isEqualTo("arbor-endpoints");
        assertThat(pod.getMetadata().getLabels()).containsEntry("arbor.dev/project", spec.projectId())
                .containsEntry("arbor.dev/endpoint", spec.endpointId()).containsEntry("arbor.dev/branch", spec.branchId());
        assertThat(pod.getMetadata().getAnnotations()).containsEntry("arbor.dev/timeline", spec.timeline().toString());

        // non-root, no escalation, nothing privileged
        var psc = pod.getSpec().getSecurityContext();
        assertThat(psc.getRunAsNonRoot()).isTrue();
        assertThat(psc.getRunAsUser()).isEqualTo(999L);
        assertThat(psc.getRunAsGroup()).isEqualTo(999L);
        Container pg = only(pod.getSpec().getContainers());
        assertThat(pg.getImage()).isEqualTo("postgres:15");
        assertThat(pg.getSecurityContext().getPrivileged()).isNotEqualTo(Boolean.TRUE);
        assertThat(pg.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(pg.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();

        // PGDATA is the agent's FUSE mount for this endpoint, seen through HostToContainer propagation
        assertThat(env(pg, "PGDATA").getValue()).isEqualTo("/var/lib/postgresql/data");
        VolumeMount data = mount(pg, "pgdata");
        assertThat(data.getMountPath()).isEqualTo("/var/lib/postgresql/data");
        assertThat(data.getMountPropagation()).isEqualTo("HostToContainer");
        Volume hostPath = volume(pod, "pgdata");
        assertThat(hostPath.getHostPath().getPath()).isEqualTo("/var/lib/arbor/mounts/" + spec.endpointId() + "/pgdata");
        assertThat(hostPath.getHostPath().getType()).isEqualTo("Directory");
        assertThat(pod.getSpec().getVolumes()).noneMatch(v -> v.getHostPath() != null && v.getHostPath().getPath().equals("/dev/fuse"));

        // pinned to the node whose agent holds the project's lease, by node name
        var term = only(pod.getSpec().getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms());
        var field = only(term.getMatchFields());
        assertThat(field.getKey()).isEqualTo("metadata.name");
        assertThat(field.getOperator()).isEqualTo("In");
        assertThat(field.getValues()).containsExactly(NODE);

        // 0.25 CU requested (0.25 vCPU, 1 GiB), 2 CU limit (2 vCPU, 8 GiB)
        assertThat(cores(pg.getResources().getRequests().get("cpu"))).isEqualByComparingTo("0.25");
        assertThat(bytes(pg.getResources().getRequests().get("memory"))).isEqualByComparingTo(BigDecimal.valueOf(1L << 30));
        assertThat(cores(pg.getResources().getLimits().get("cpu"))).isEqualByComparingTo("2");
        assertThat(bytes(pg.getResources().getLimits().get("memory"))).isEqualByComparingTo(BigDecimal.valueOf(8L << 30));

        assertThat(pg.getReadinessProbe().getExec().getCommand()).startsWith("pg_isready");
        assertThat(pg.getPorts()).anyMatch(p -> p.getContainerPort() == 5432);

        // the endpoint's settings pass through; what the pod's wiring needs cannot be overridden by them
        assertThat(pg.getArgs()).first().isEqualTo("postgres");
        assertThat(pg.getArgs()).contains("work_mem=8MB", "wal_init_zero=off", "cluster_name=" + spec.endpointId(),
                "listen_addresses=*", "port=5432", "hba_file=/etc/arbor/pg_hba.conf");
        assertThat(pg.getArgs()).doesNotContain("listen_addresses=localhost", "port=6000");

        // roles come from the Secret volume through the postStart hook; fast shutdown on delete
        assertThat(String.join(" ", pg.getLifecycle().getPostStart().getExec().getCommand()))
                .contains("-U cloud_admin").contains("-f /etc/arbor/config.sql");
        assertThat(pg.getLifecycle().getPreStop().getExec().getCommand()).contains("pg_ctl", "fast");
        assertThat(volume(pod, "config").getSecret().getSecretName()).isEqualTo("arbor-" + spec.endpointId() + "-config");
        assertThat(mount(pg, "config").getMountPath()).isEqualTo("/etc/arbor");
    }

    @Test
    void rolePasswordsNeverReachThePodOnlyVerifiersReachTheSecret() throws IOException {
        EndpointSpec spec = spec("read_write", 1, 4);
        String script = ConfigScripts.of(spec);
        EndpointPlacement placed = new PodPlacement(SETTINGS).place(spec, script);

        String podYaml = Serialization.asYaml(placed.pod());
        assertThat(podYaml).doesNotContain(PASSWORD).doesNotContain("SCRAM-SHA-256$");
        for (Container c : placed.pod().getSpec().getContainers())
            assertThat(c.getEnv()).allMatch(e -> e.getValue() == null || !e.getValue().contains(PASSWORD));

        Secret secret = roundTrip(placed.config(), Secret.class, "endpoint-secret.yaml");
        String sql = value(secret, "config.sql");
        assertThat(sql).isEqualTo(script).contains("SCRAM-SHA-256$4096:").contains("\"app_owner\"").doesNotContain(PASSWORD);
        assertThat(Serialization.asYaml(secret)).doesNotContain(PASSWORD);
        assertThat(value(secret, "pg_hba.conf")).contains("host    all   all   10.244.0.0/16   scram-sha-256")
                .doesNotContain("trust\nhost    all   all   0.0.0.0");
        assertThat(secret.getMetadata().getLabels()).containsEntry("arbor.dev/endpoint", spec.endpointId());

        // a caller that hands over plaintext is refused before anything is built
        assertThatThrownBy(() -> new PodPlacement(SETTINGS).configSecret(spec, "ALTER ROLE app_owner PASSWORD '" + PASSWORD + "'"))
                .isInstanceOf(InvalidPlacement.class).hasMessageContaining("plaintext password").hasMessageNotContaining(PASSWORD);
    }

    @Test
    void readOnlyEndpointRunsAsHotStandbyWithoutTheRoleHook() throws IOException {
        EndpointSpec spec = spec("read_only", 0.5, 0.5);
        Pod pod = roundTrip(new PodPlacement(SETTINGS).pod(spec), Pod.class, "endpoint-pod-read-only.yaml");
        Container pg = only(pod.getSpec().getContainers());
        assertThat(pg.getArgs()).contains("hot_standby=on");
        assertThat(pg.getLifecycle().getPostStart()).isNull();
        assertThat(pg.getResources().getRequests()).isEqualTo(pg.getResources().getLimits());
        assertThat(cores(pg.getResources().getLimits().get("cpu"))).isEqualByComparingTo("0.5");
    }

    @Test
    void badSpecsAndSettingsAreRefusedWithTypedErrors() {
        var placement = new PodPlacement(SETTINGS);
        assertThatThrownBy(() -> placement.pod(spec("read_write", 0.1, 1)))
                .isInstanceOf(InvalidPlacement.class).hasMessageContaining("between 0.25 and 64");
        assertThatThrownBy(() -> placement.pod(spec("read_write", 2, 1)))
                .isInstanceOf(InvalidPlacement.class).hasMessageContaining("below autoscaling_limit_min_cu");
        EndpointSpec s = spec("read_write", 1, 1);
        var upper = new EndpointSpec(s.projectId(), "EP_Bad", s.branchId(), s.timeline(), s.type(), 15, 1, 1, 0,
                Map.of(), List.of(), List.of());
        assertThatThrownBy(() -> placement.pod(upper)).isInstanceOf(InvalidPlacement.class).hasMessageContaining("endpoint id");
        var pg16 = new EndpointSpec(s.projectId(), s.endpointId(), s.branchId(), s.timeline(), s.type(), 16, 1, 1, 0,
                Map.of(), List.of(), List.of());
        assertThatThrownBy(() -> placement.pod(pg16)).isInstanceOf(InvalidPlacement.class).hasMessageContaining("15");
        assertThatThrownBy(() -> new PlacementSettings("ns", "postgres:15", NODE, "/var/lib/arbor/mounts", 0, "10.0.0.0/8"))
                .isInstanceOf(InvalidPlacement.class).hasMessageContaining("root");
        assertThatThrownBy(() -> new PlacementSettings("ns", "postgres:15", NODE, "relative/dir", 999, "10.0.0.0/8"))
                .isInstanceOf(InvalidPlacement.class).hasMessageContaining("absolute");
        assertThatThrownBy(() -> PlacementSettings.defaults("ns", NODE, "everyone"))
                .isInstanceOf(InvalidPlacement.class).hasMessageContaining("CIDR");
    }

    @Test
    void storageAgentIsAPrivilegedDaemonSetWithFuseAndBucketKeysByReference() throws IOException {
        var settings = new StorageAgentSettings("arbor-system", "arbor:0.1.0",
                "s3://arbor-layers/prod?endpoint=https://s3.eu-west-1.amazonaws.com&region=eu-west-1&cache_mib=204800",
                "arbor-bucket", "arbor-metadata", "/mnt/nvme/arbor", "/var/lib/arbor/mounts", 999, 8192);
        DaemonSet ds = roundTrip(StorageAgentDaemonSet.build(settings), DaemonSet.class, "storage-agent-daemonset.yaml");
        var pod = ds.getSpec().getTemplate().getSpec();
        Container agent = only(pod.getContainers());
        assertThat(agent.getSecurityContext().getPrivileged()).isTrue();
        assertThat(ds.getSpec().getUpdateStrategy().getType()).isEqualTo("OnDelete");
        assertThat(ds.getSpec().getSelector().getMatchLabels()).isEqualTo(ds.getSpec().getTemplate().getMetadata().getLabels());

        Volume fuse = pod.getVolumes().stream().filter(v -> v.getName().equals("fuse")).findFirst().orElseThrow();
        assertThat(fuse.getHostPath().getPath()).isEqualTo("/dev/fuse");
        assertThat(fuse.getHostPath().getType()).isEqualTo("CharDevice");
        VolumeMount mounts = mount(agent, "mounts");
        assertThat(mounts.getMountPropagation()).isEqualTo("Bidirectional");
        // the agent mounts where endpoint pods look: the same host path as PlacementSettings' root
        assertThat(mounts.getMountPath()).isEqualTo(SETTINGS.hostMountRoot());
        assertThat(agent.getArgs()).containsSequence("--fuse-uid", "999").contains(settings.remoteStorage());
        assertThat(agent.getArgs()).containsSequence("--node-id", "$(NODE_NAME)");
        assertThat(env(agent, "NODE_NAME").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
        for (String key : List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")) {
            EnvVar e = env(agent, key);
            assertThat(e.getValue()).isNull();
            assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("arbor-bucket");
        }
        assertThat(env(agent, "ARBOR_METADATA_URL").getValueFrom().getSecretKeyRef().getName()).isEqualTo("arbor-metadata");
        assertThat(String.join(" ", agent.getArgs())).doesNotContain("ARBOR_METADATA_URL");

        assertThatThrownBy(() -> new StorageAgentSettings("arbor-system", "arbor:0.1.0", "s3://b?secret_key=x", "arbor-bucket",
                "arbor-metadata", "/mnt/nvme/arbor", "/var/lib/arbor/mounts", 999, 8192))
                .isInstanceOf(InvalidPlacement.class).hasMessageContaining("bucket secret");
    }

    private static <T> T only(List<T> list) {
        assertThat(list).hasSize(1);
        return list.getFirst();
    }

    private static EnvVar env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no env " + name));
    }

    private static VolumeMount mount(Container c, String name) {
        return c.getVolumeMounts().stream().filter(m -> m.getName().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no mount " + name));
    }

    private static Volume volume(Pod p, String name) {
        return p.getSpec().getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no volume " + name));
    }

    private static BigDecimal cores(Quantity q) { return q.getNumericalAmount(); }

    private static BigDecimal bytes(Quantity q) { return q.getNumericalAmount(); }

    /** stringData before a server has seen the object; data (base64) after. */
    private static String value(Secret s, String key) {
        if (s.getStringData() != null && s.getStringData().containsKey(key)) return s.getStringData().get(key);
        return new String(Base64.getDecoder().decode(s.getData().get(key)));
    }
}
