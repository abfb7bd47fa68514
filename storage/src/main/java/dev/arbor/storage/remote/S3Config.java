package dev.arbor.storage.remote;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Where an S3-compatible bucket is and how to reach it.
 *
 * @param bucket    bucket name
 * @param prefix    key prefix inside the bucket ("" or ending without a slash)
 * @param endpoint  endpoint URI (MinIO, s3proxy, Ceph...), or null for AWS's regional endpoint
 * @param region    signing region
 * @param accessKey access key id, or null for the SDK's default credential chain (env, profile, IMDS)
 * @param secretKey secret key (never logged)
 */
public record S3Config(String bucket, String prefix, URI endpoint, String region, String accessKey, String secretKey) {
    public S3Config {
        if (bucket == null || bucket.isBlank()) throw new IllegalArgumentException("S3 bucket name is missing");
        prefix = prefix == null ? "" : prefix.replaceAll("^/+|/+$", "");
        if (region == null || region.isBlank()) region = "us-east-1";
        if ((accessKey == null) != (secretKey == null)) throw new IllegalArgumentException("give both access key and secret key, or neither");
    }

    /**
     * Parses {@code s3://bucket[/prefix]?endpoint=http://host:port&region=r&access_key=...&secret_key=...}.
     * Keys left out of the URL come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the SDK's default chain.
     */
    public static S3Config parse(String url) {
        URI u;
        try {
            u = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("remote storage URL is malformed: " + e.getMessage());
        }
        if (!"s3".equals(u.getScheme()) || u.getHost() == null)
            throw new IllegalArgumentException("remote storage URL must look like s3://bucket[/prefix]?endpoint=...; got scheme " + u.getScheme());
        Map<String, String> q = new HashMap<>();
        if (u.getRawQuery() != null)
            for (String kv : u.getRawQuery().split("&")) {
                int i = kv.indexOf('=');
                if (i <= 0) throw new IllegalArgumentException("remote storage URL parameter without a value: " + kv.replaceAll("=.*", ""));
                q.put(kv.substring(0, i), URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
            }
        for (String k : q.keySet())
            if (!k.matches("endpoint|region|access_key|secret_key"))
                throw new IllegalArgumentException("unknown remote storage URL parameter " + k + " (endpoint, region, access_key, secret_key)");
        String ep = q.get("endpoint");
        return new S3Config(u.getHost(), u.getPath(), ep == null ? null : URI.create(ep), q.get("region"),
                q.get("access_key"), q.get("secret_key"));
    }

    @Override public String toString() {  // no secrets
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix) + (endpoint == null ? "" : " at " + endpoint);
    }
}
