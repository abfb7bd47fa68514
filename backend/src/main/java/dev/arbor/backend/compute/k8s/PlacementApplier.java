package dev.arbor.backend.compute.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.util.List;

/**
 * Would apply placements to a cluster with fabric8's client: server-side apply (field manager
 * {@value #FIELD_MANAGER}), Secret before Pod; suspend deletes the pod and keeps the Secret. It has never run
 * against a real cluster (none is reachable from where it was written); its test checks the requests it
 * sends. No controller loop watches the pods yet: placement, readiness and pod IPs are not fed back.
 */
public final class PlacementApplier implements AutoCloseable {
    public static final String FIELD_MANAGER = "arbor";

    private final KubernetesClient client;

    public PlacementApplier(KubernetesClient client) { this.client = client; }

    /** From the usual places: KUBECONFIG / ~/.kube/config, or the in-cluster service account. */
    public static PlacementApplier connect() { return new PlacementApplier(new KubernetesClientBuilder().build()); }

    /** Creates or updates the endpoint's Secret, then its pod. A pod whose spec changed must be deleted first (pods are mostly immutable). */
    public void apply(EndpointPlacement placement) {
        for (HasMetadata o : List.of(placement.config(), placement.pod())) {
            try {
                client.resource(o).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
            } catch (KubernetesClientException e) {
                String why = e.getStatus() != null ? "HTTP " + e.getCode() + " " + e.getStatus().getMessage()
                        : "API server unreachable (" + e.getCause() + ")";
                throw new PlacementFailed("apply " + o.getKind() + " " + o.getMetadata().getNamespace() + "/"
                        + o.getMetadata().getName() + " failed: " + why, e);
            }
        }
    }

    /** Suspend: the pod goes (the agent flushes and uploads once postgres stopped), the Secret stays for the next wake. */
    public void suspend(String namespace, String endpointId) {
        client.pods().inNamespace(namespace).withName(PodPlacement.podName(endpointId)).delete();
    }

    /** Delete: pod and Secret. */
    public void delete(String namespace, String endpointId) {
        suspend(namespace, endpointId);
        client.secrets().inNamespace(namespace).withName(PodPlacement.secretName(endpointId)).delete();
    }

    @Override public void close() { client.close(); }

    /** The API server refused or could not be reached; the message names the object, never its data. */
    public static final class PlacementFailed extends RuntimeException {
        PlacementFailed(String message, Throwable cause) { super(message, cause); }
    }
}
