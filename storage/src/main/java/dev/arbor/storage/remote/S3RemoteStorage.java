package dev.arbor.storage.remote;

import dev.arbor.storage.StorageException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@link RemoteStorage} on an S3-compatible bucket (AWS SDK v2, URL-connection HTTP client, path-style addressing). */
public final class S3RemoteStorage implements RemoteStorage {
    private final S3Config config;
    private final S3Client s3;

    private S3RemoteStorage(S3Config config, S3Client s3) {
        this.config = config;
        this.s3 = s3;
    }

    /** Connects to the bucket and checks it exists (a typo in the URL fails here, not at the first upload). */
    public static S3RemoteStorage open(S3Config c) {
        S3ClientBuilder b = S3Client.builder()
                .region(Region.of(c.region()))
                .forcePathStyle(true)  // s3proxy, MinIO and Ceph on a plain host:port
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10)).socketTimeout(Duration.ofSeconds(60)));
        if (c.endpoint() != null) b.endpointOverride(c.endpoint());
        b.credentialsProvider(c.accessKey() != null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(c.accessKey(), c.secretKey()))
                : DefaultCredentialsProvider.builder().build());
        S3Client s3 = b.build();
        S3RemoteStorage r = new S3RemoteStorage(c, s3);
        try {
            s3.headBucket(HeadBucketRequest.builder().bucket(c.bucket()).build());
        } catch (NoSuchBucketException e) {
            s3.close();
            throw new StorageException.NotFound("bucket " + c.bucket() + " does not exist at " + r.describe());
        } catch (SdkException e) {
            s3.close();
            throw r.failure("check of bucket " + c.bucket(), e);
        }
        return r;
    }

    private String key(String k) {
        return config.prefix().isEmpty() ? k : config.prefix() + "/" + k;
    }

    @Override public void put(String key, Path file) {
        try {
            s3.putObject(PutObjectRequest.builder().bucket(config.bucket()).key(key(key)).build(), RequestBody.fromFile(file));
        } catch (SdkException e) {
            throw failure("upload of " + key, e);
        }
    }

    @Override public void put(String key, byte[] data) {
        try {
            s3.putObject(PutObjectRequest.builder().bucket(config.bucket()).key(key(key)).build(), RequestBody.fromBytes(data));
        } catch (SdkException e) {
            throw failure("upload of " + key, e);
        }
    }

    @Override public void get(String key, Path target) {
        try {
            Files.deleteIfExists(target);
            s3.getObject(GetObjectRequest.builder().bucket(config.bucket()).key(key(key)).build(), ResponseTransformer.toFile(target));
        } catch (NoSuchKeyException e) {
            throw new StorageException.NotFound("object " + key + " is not in " + describe());
        } catch (SdkException e) {
            throw failure("download of " + key, e);
        } catch (IOException e) {
            throw new StorageException("download of " + key + " to " + target + " failed: " + e, e);
        }
    }

    @Override public byte[] getRange(String key, long offset, int length) {
        try {
            return s3.getObjectAsBytes(GetObjectRequest.builder().bucket(config.bucket()).key(key(key))
                    .range("bytes=" + offset + "-" + (offset + length - 1)).build()).asByteArray();
        } catch (NoSuchKeyException e) {
            throw new StorageException.NotFound("object " + key + " is not in " + describe());
        } catch (SdkException e) {
            throw failure("ranged download of " + key, e);
        }
    }

    @Override public List<String> list(String prefix) {
        List<String> out = new ArrayList<>();
        int strip = config.prefix().isEmpty() ? 0 : config.prefix().length() + 1;
        try {
            for (ListObjectsV2Response page : s3.listObjectsV2Paginator(
                    ListObjectsV2Request.builder().bucket(config.bucket()).prefix(key(prefix)).build()))
                for (S3Object o : page.contents()) out.add(o.key().substring(strip));
        } catch (SdkException e) {
            throw failure("listing of " + prefix, e);
        }
        out.sort(null);
        return out;
    }

    @Override public void delete(String key) {
        try {
            s3.deleteObject(DeleteObjectRequest.builder().bucket(config.bucket()).key(key(key)).build());
        } catch (SdkException e) {
            throw failure("delete of " + key, e);
        }
    }

    @Override public String describe() { return config.toString(); }

    private StorageException failure(String what, SdkException e) {
        return new StorageException(what + " at " + describe() + " failed: " + e.getMessage(), e);
    }

    @Override public void close() { s3.close(); }
}
