package dev.arbor.backend.compute.k8s;

/** A spec or setting that cannot become a valid Kubernetes object (bad name, CU range, path). */
public final class InvalidPlacement extends IllegalArgumentException {
    public InvalidPlacement(String message) { super(message); }
}
