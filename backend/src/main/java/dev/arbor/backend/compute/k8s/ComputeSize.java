package dev.arbor.backend.compute.k8s;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;

import java.util.Map;

/**
 * An endpoint's pod resources from its autoscaling limits. Neon's compute unit: 1 CU = 1 vCPU and 4 GiB of
 * RAM (its smallest size, 0.25 CU, is 0.25 vCPU and 1 GiB). Kubernetes cannot follow Neon's autoscaling
 * inside one pod without in-place resize, so the minimum is what the scheduler reserves (requests) and the
 * maximum is the ceiling the pod may burst to (limits).
 */
public record ComputeSize(long cpuMillis, long memoryMiB) {
    public static final double MIN_CU = 0.25;
    public static final long MILLICPU_PER_CU = 1000;
    public static final long MIB_PER_CU = 4096;

    public static ComputeSize ofCu(double cu) {
        if (!(cu >= MIN_CU) || cu > 64) throw new InvalidPlacement("compute units must be between 0.25 and 64, got " + cu);
        return new ComputeSize(Math.round(cu * MILLICPU_PER_CU), Math.round(cu * MIB_PER_CU));
    }

    /** Requests from {@code minCu}, limits from {@code maxCu}. */
    public static ResourceRequirements resources(double minCu, double maxCu) {
        if (maxCu < minCu) throw new InvalidPlacement("autoscaling_limit_max_cu " + maxCu + " is below autoscaling_limit_min_cu " + minCu);
        ComputeSize min = ofCu(minCu), max = ofCu(maxCu);
        return new ResourceRequirementsBuilder().withRequests(min.quantities()).withLimits(max.quantities()).build();
    }

    public Map<String, Quantity> quantities() {
        return Map.of("cpu", new Quantity(cpuMillis + "m"), "memory", new Quantity(memoryMiB + "Mi"));
    }
}
