package dev.arbor.backend.compute;

import dev.arbor.backend.ops.EndpointSpec;

/** Test access to the role script compute runs on an endpoint (the k8s placement puts it into a Secret). */
public final class ConfigScripts {
    private ConfigScripts() {}

    public static String of(EndpointSpec spec) { return ComputeManager.configScript(spec); }
}
