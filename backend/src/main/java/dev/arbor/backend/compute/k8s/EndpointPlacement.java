package dev.arbor.backend.compute.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;

/**
 * What an endpoint needs in Kubernetes: its configuration Secret (role verifiers and pg_hba.conf) and
 * the pod that reads it. Apply the Secret first: the pod's volume refers to it by name.
 */
public record EndpointPlacement(Secret config, Pod pod) {}
