package dev.arbor.backend.compute.k8s;

import dev.arbor.backend.compute.process.ClusterTemplate;
import dev.arbor.backend.compute.process.PostgresServer;
import dev.arbor.backend.ops.EndpointSpec;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns an {@link EndpointSpec} into the Kubernetes objects that would run it as a pod next to the storage
 * agent that serves its timeline (docs/scale-out.md, section 3). Pure: builds fabric8 model objects, talks
 * to nobody. Prototype: nothing in the server calls it yet.
 *
 * <p>The pod runs vanilla PostgreSQL on the agent's FUSE mount of the endpoint's timeline, reached through a
 * {@code hostPath} with {@code HostToContainer} propagation (the agent mounts after, or again after, the pod's
 * view of the directory was made). Role passwords never appear in the pod: the control plane's role
 * script (SCRAM verifiers, no plaintext) is in a Secret the pod mounts, applied by a postStart hook.
 */
public final class PodPlacement {
    public static final String LABEL_PROJECT = "arbor.dev/project";
    public static final String LABEL_ENDPOINT = "arbor.dev/endpoint";
    public static final String LABEL_BRANCH = "arbor.dev/branch";
    public static final String ANNOTATION_TIMELINE = "arbor.dev/timeline";
    public static final String APP_LABEL = "app.kubernetes.io/name";
    public static final String APP = "arbor-endpoint";
    public static final int PORT = 5432;

    static final String PGDATA = "/var/lib/postgresql/data";
    static final String SOCKET_DIR = "/var/run/postgresql";
    static final String CONFIG_DIR = "/etc/arbor";
    static final String ROLES_KEY = "config.sql";
    static final String HBA_KEY = "pg_hba.conf";

    private final PlacementSettings settings;

    public PodPlacement(PlacementSettings settings) { this.settings = settings; }

    /**
     * @param configSql the idempotent role and database script the control plane would run over the
     *                  endpoint's socket (SCRAM verifiers only: it goes into the Secret, never the pod)
     */
    public EndpointPlacement place(EndpointSpec spec, String configSql) {
        return new EndpointPlacement(configSecret(spec, configSql), pod(spec));
    }

    public static String podName(String endpointId) { return "arbor-" + endpointId; }

    public static String secretName(String endpointId) { return "arbor-" + endpointId + "-config"; }

    /** Where the agent mounts this endpoint's volume on its node (the layout ComputeManager uses under compute/). */
    public String hostPgdata(String endpointId) { return settings.hostMountRoot() + "/" + endpointId + "/pgdata"; }

    public Secret configSecret(EndpointSpec spec, String configSql) {
        checkIds(spec);
        if (configSql == null) throw new InvalidPlacement("role script is missing");
        for (var role : spec.roles())
            if (role.password() != null && !role.password().isEmpty() && configSql.contains(role.password()))
                throw new InvalidPlacement("role script for " + spec.endpointId() + " contains a plaintext password; pass SCRAM verifiers");
        return new SecretBuilder()
                .withNewMetadata().withName(secretName(spec.endpointId())).withNamespace(settings.namespace())
                    .withLabels(labels(spec)).endMetadata()
                .withType("Opaque")
                .withImmutable(false)
                .addToStringData(ROLES_KEY, configSql)
                .addToStringData(HBA_KEY, pgHba())
                .build();
    }

    public Pod pod(EndpointSpec spec) {
        checkIds(spec);
        if (spec.pgVersion() != 15) throw new InvalidPlacement("only PostgreSQL 15 images are placed, endpoint asks for " + spec.pgVersion());
        long uid = settings.postgresUid();
        return new PodBuilder()
                .withNewMetadata().withName(podName(spec.endpointId())).withNamespace(settings.namespace())
                    .withLabels(labels(spec))
                    .addToAnnotations(ANNOTATION_TIMELINE, spec.timeline().toString())
                    .endMetadata()
                .withNewSpec()
                    .withAffinity(pinnedTo(settings.agentNode()))
                    .withRestartPolicy("Always")
                    // postgres needs no API access and thousands of services must not become env vars
                    .withAutomountServiceAccountToken(false)
                    .withEnableServiceLinks(false)
                    .withTerminationGracePeriodSeconds(30L)
                    .withNewSecurityContext()
                        .withRunAsNonRoot(true).withRunAsUser(uid).withRunAsGroup(uid)
                        .withFsGroup(uid) // makes the Secret volume readable; hostPath ignores it (FUSE presents uid itself)
                        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                    .endSecurityContext()
                    .withContainers(postgres(spec))
                    .withVolumes(volumes(spec))
                .endSpec()
                .build();
    }

    private Container postgres(EndpointSpec spec) {
        var c = new ContainerBuilder()
                .withName("postgres")
                .withImage(settings.postgresImage())
                .withArgs(postgresArgs(spec))
                .addNewEnv().withName("PGDATA").withValue(PGDATA).endEnv()
                .addNewPort().withName("postgres").withContainerPort(PORT).withProtocol("TCP").endPort()
                .withResources(ComputeSize.resources(spec.minCu(), spec.maxCu()))
                .withNewReadinessProbe()
                    .withNewExec().withCommand("pg_isready", "-q", "-h", SOCKET_DIR, "-p", Integer.toString(PORT)).endExec()
                    .withPeriodSeconds(2).withTimeoutSeconds(2).withFailureThreshold(3)
                .endReadinessProbe()
                .withNewSecurityContext()
                    .withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
                    .withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .addNewVolumeMount().withName("pgdata").withMountPath(PGDATA)
                    .withMountPropagation("HostToContainer").endVolumeMount()
                .addNewVolumeMount().withName("config").withMountPath(CONFIG_DIR).withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName("run").withMountPath(SOCKET_DIR).endVolumeMount()
                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount();
        var lifecycle = c.withNewLifecycle()
                // Kubernetes sends SIGTERM (postgres' "smart" shutdown waits for every client); the image's
                // STOPSIGNAL SIGINT is ignored by the kubelet, so ask for a fast shutdown explicitly.
                .withNewPreStop().withNewExec().withCommand("pg_ctl", "stop", "-D", PGDATA, "-m", "fast", "-w").endExec().endPreStop();
        if (!spec.readOnly()) {
            // A hot standby refuses CREATE/ALTER ROLE; read-only endpoints get their roles from the branch.
            lifecycle.withNewPostStart().withNewExec().withCommand("sh", "-c",
                    "until pg_isready -q -h " + SOCKET_DIR + " -p " + PORT + "; do sleep 0.2; done; "
                            + "psql -X -q -v ON_ERROR_STOP=1 -h " + SOCKET_DIR + " -p " + PORT + " -U " + ClusterTemplate.ADMIN_ROLE
                            + " -d postgres -f " + CONFIG_DIR + "/" + ROLES_KEY).endExec().endPostStart();
        }
        return lifecycle.endLifecycle().build();
    }

    /** The official image's entrypoint skips initdb on a PGDATA that has PG_VERSION and execs postgres with these. */
    List<String> postgresArgs(EndpointSpec spec) {
        TreeMap<String, String> defaults = new TreeMap<>(PostgresServer.ENDPOINT_DEFAULTS);
        defaults.putAll(PostgresServer.WAL_ON_VOLUME);  // the pod's pg_wal is on the agent's mount
        Map<String, String> s = new LinkedHashMap<>(defaults);
        s.put("cluster_name", spec.endpointId());
        if (spec.pgSettings() != null) s.putAll(new TreeMap<>(spec.pgSettings()));
        // What the pod's wiring depends on comes last, so an endpoint's pg_settings cannot override it.
        s.put("listen_addresses", "*");
        s.put("port", Integer.toString(PORT));
        s.put("unix_socket_directories", SOCKET_DIR);
        // pg_hba.conf from the Secret: the branch's own file admits loopback only (a single-node endpoint)
        s.put("hba_file", CONFIG_DIR + "/" + HBA_KEY);
        if (spec.readOnly()) s.put("hot_standby", "on"); // the agent puts standby.signal on the scratch timeline
        List<String> args = new ArrayList<>(List.of("postgres"));
        s.forEach((k, v) -> { args.add("-c"); args.add(k + "=" + v); });
        return args;
    }

    String pgHba() {
        return "# Arbor endpoint pod: the proxy connects over the pod network with SCRAM; the postStart hook uses the pod-private socket.\n"
                + "local   all   all                       trust\n"
                + "host    all   all   " + settings.proxyCidr() + "   scram-sha-256\n";
    }

    private List<Volume> volumes(EndpointSpec spec) {
        return List.of(
                // Directory, not DirectoryOrCreate: a pod on a node whose agent has not mounted the volume
                // must stay ContainerCreating, not run postgres on an empty host directory.
                new VolumeBuilder().withName("pgdata").withNewHostPath().withPath(hostPgdata(spec.endpointId()))
                        .withType("Directory").endHostPath().build(),
                new VolumeBuilder().withName("config").withNewSecret().withSecretName(secretName(spec.endpointId()))
                        .withDefaultMode(0440).endSecret().build(),
                new VolumeBuilder().withName("run").withNewEmptyDir().withMedium("Memory").endEmptyDir().build(),
                new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
    }

    /** Required affinity on the node's name (matchFields), not the hostname label, which clouds may set differently. */
    static Affinity pinnedTo(String node) {
        return new AffinityBuilder().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addNewNodeSelectorTerm().addNewMatchField().withKey("metadata.name").withOperator("In").withValues(node)
                .endMatchField().endNodeSelectorTerm()
                .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().build();
    }

    private static Map<String, String> labels(EndpointSpec spec) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put(APP_LABEL, APP);
        l.put(LABEL_PROJECT, spec.projectId());
        l.put(LABEL_ENDPOINT, spec.endpointId());
        l.put(LABEL_BRANCH, spec.branchId());
        return l;
    }

    private static void checkIds(EndpointSpec spec) {
        PlacementSettings.requireLabel("project id", spec.projectId());
        PlacementSettings.requireLabel("branch id", spec.branchId());
        PlacementSettings.requireLabel("endpoint id", spec.endpointId());
        PlacementSettings.requireLabel("pod name", podName(spec.endpointId()));
        PlacementSettings.requireLabel("secret name", secretName(spec.endpointId()));
    }
}
