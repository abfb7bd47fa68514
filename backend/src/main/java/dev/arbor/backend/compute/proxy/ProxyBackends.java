package dev.arbor.backend.compute.proxy;

import java.util.List;

/** What the proxy needs from compute. {@link dev.arbor.backend.compute.ComputeManager} implements it. */
public interface ProxyBackends {
    /**
     * The loopback port of the endpoint's postgres, starting it first if it is suspended. Blocks.
     * @throws dev.arbor.backend.compute.EndpointNotFound if there is no such endpoint
     */
    int wake(String endpointId) throws Exception;

    void connectionOpened(String endpointId);

    void connectionClosed(String endpointId);

    /** Ports of every running postgres (a cancel request is forwarded to all; only the owner of the key acts). */
    List<Integer> runningPorts();
}
