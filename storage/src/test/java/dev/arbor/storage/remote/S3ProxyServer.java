package dev.arbor.storage.remote;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;

import java.net.URI;
import java.time.Duration;

/**
 * A real S3 server (s3proxy, in-memory blob store) on a free loopback port, for tests and benchmarks.
 * Clients talk plain S3 over HTTP with SigV4 to it; nothing in the client path is mocked.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "arbor-test", SECRET_KEY = "arbor-test-secret";
    private final S3Proxy proxy;
    private final TransientNio2BlobStore blobs = new TransientNio2BlobStore();

    public S3ProxyServer() throws Exception {
        proxy = S3Proxy.builder().blobStore(blobs).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
            Thread.sleep(10);
        }
    }

    public URI endpoint() { return URI.create("http://127.0.0.1:" + proxy.getPort()); }

    private final java.util.concurrent.atomic.AtomicInteger buckets = new java.util.concurrent.atomic.AtomicInteger();

    /** A new empty bucket with a name of its own, for one test. */
    public S3Config newBucket() { return bucket("arbor-" + buckets.incrementAndGet()); }

    /** A new empty bucket and the config reaching it. */
    public S3Config bucket(String name) {
        blobs.createContainer(name);
        return new S3Config(name, "", endpoint(), "us-east-1", ACCESS_KEY, SECRET_KEY);
    }

    @Override public void close() throws Exception { proxy.stop(); }
}
