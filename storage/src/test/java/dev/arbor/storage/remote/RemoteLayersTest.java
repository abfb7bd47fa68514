package dev.arbor.storage.remote;

import dev.arbor.storage.*;
import dev.arbor.storage.layer.LayerFile;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.*;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Remote layer storage against a real S3 server (s3proxy) on loopback. */
class RemoteLayersTest extends RemoteStoreTest {
    static RemoteLayerConfig remote(S3Config c, long cacheBytes) {
        return new RemoteLayerConfig(S3RemoteStorage.open(c), cacheBytes);
    }

    @Test void writtenFlushedAndUploadedTimelinesAreServedFromAnEmptyDirectory() throws Exception {
        S3Config bucket = newBucket();
        Map<String, byte[]> model, past;
        TimelineId main;
        Lsn pastLsn;
        long cache = 256 * 1024;
        try (PageStore a = PageStore.open(tmp.resolve("a"), config, remote(bucket, cache))) {
            main = a.createTimeline(Duration.ofDays(1));
            FileTree t = a.fileTree(main);
            model = writeRandom(t, new Random(1), "f", 4, 150);
            t.sync();
            pastLsn = t.lsn();
            past = new TreeMap<>(model);
            for (var e : writeRandom(t, new Random(2), "g", 2, 60).entrySet()) model.put(e.getKey(), e.getValue());
            t.sync();
            a.flushToRemote(main, WAIT);

            int layers = a.timeline(main).layerCount();
            assertThat(layers).as("many delta layers").isGreaterThan(5);
            List<String> keys = objects(bucket);
            assertThat(keys).contains("timelines/" + main.value() + "/manifest");
            for (String n : a.timeline(main).layerNames()) assertThat(keys).contains("timelines/" + main.value() + "/" + n);
            // The local cache keeps to its bound once everything is uploaded, and reads still see everything.
            assertThat(a.remote().residentBytes()).isLessThanOrEqualTo(cache);
            assertThat(a.timeline(main).layers()).anyMatch(LayerFile::isEvicted);
            assertMatches(a.fileTree(main), model);
        }
        // Wipe the local disk entirely: a new node opens on an empty directory with the bucket configured.
        Path empty = tmp.resolve("b");
        try (PageStore b = PageStore.open(empty, config, remote(bucket, Long.MAX_VALUE))) {
            assertThat(b.timelines()).extracting(TimelineInfo::id).containsExactly(main);
            assertThat(b.damaged()).isEmpty();
            assertMatches(b.fileTree(main), model);
            assertMatches(b.fileTree(main, pastLsn), past);  // history came along: time travel works on the new node
            // It keeps writing, and its writes go to the bucket too.
            FileTree t = b.fileTree(main);
            Map<String, byte[]> more = writeRandom(t, new Random(3), "h", 1, 20);
            model.putAll(more);
            b.flushToRemote(main, WAIT);
        }
        try (PageStore c = PageStore.open(tmp.resolve("c"), config, remote(bucket, 0))) {
            assertMatches(c.fileTree(main), model);
        }
    }

    @Test void branchFromATimelineWhoseLayersAreOnlyInTheBucket() throws Exception {
        S3Config bucket = newBucket();
        TimelineId main;
        Map<String, byte[]> model;
        try (PageStore a = PageStore.open(tmp.resolve("a"), config, remote(bucket, Long.MAX_VALUE))) {
            main = a.createTimeline();
            model = writeRandom(a.fileTree(main), new Random(4), "f", 3, 100);
            a.flushToRemote(main, WAIT);
        }
        TimelineId child;
        Map<String, byte[]> childModel = new TreeMap<>(model);
        // Cache bound 0: after open every uploaded layer is evicted, so the ancestor lives only in the bucket.
        try (PageStore b = PageStore.open(tmp.resolve("b"), config, remote(bucket, 0))) {
            b.remote().awaitUploads(WAIT);
            assertThat(b.timeline(main).layers()).isNotEmpty().allMatch(LayerFile::isEvicted);
            assertThat(b.remote().residentBytes()).isZero();
            child = b.branch(main, BranchPoint.head());
            FileTree ct = b.fileTree(child);
            assertMatches(ct, model);  // every page came through a download of an evicted ancestor layer
            childModel.putAll(writeRandom(ct, new Random(5), "c", 2, 40));
            ByteBuffer over = ByteBuffer.wrap(new byte[PAGE]);
            ct.write(ct.stat("/f0").inode(), 0, over);
            byte[] f0 = childModel.get("/f0").clone();
            System.arraycopy(new byte[PAGE], 0, f0, 0, Math.min(PAGE, f0.length));
            childModel.put("/f0", Arrays.copyOf(f0, Math.max(f0.length, PAGE)));
            b.flushToRemote(child, WAIT);
            assertMatches(b.fileTree(main), model);  // the parent is untouched
        }
        try (PageStore c = PageStore.open(tmp.resolve("c"), config, remote(bucket, Long.MAX_VALUE))) {
            assertThat(c.info(child).ancestor()).isEqualTo(main);
            assertMatches(c.fileTree(child), childModel);
            assertMatches(c.fileTree(main), model);
            c.delete(child);
            c.remote().awaitUploads(WAIT);
        }
        assertThat(objects(bucket)).noneMatch(k -> k.contains(child.value())).anyMatch(k -> k.contains(main.value()));
    }

    @Test void aCorruptedObjectInTheBucketIsReportedNeverServed() throws Exception {
        S3Config bucket = newBucket();
        TimelineId main;
        Map<String, byte[]> model;
        String victim;
        try (PageStore a = PageStore.open(tmp.resolve("a"), config, remote(bucket, Long.MAX_VALUE))) {
            main = a.createTimeline();
            model = writeRandom(a.fileTree(main), new Random(6), "f", 2, 60);
            a.flushToRemote(main, WAIT);
            victim = "timelines/" + main.value() + "/" + a.timeline(main).layerNames().getLast();
        }
        byte[] good = damage(bucket, victim);

        // A node starting from the bucket lists the timeline as damaged and refuses to read it.
        try (PageStore b = PageStore.open(tmp.resolve("b"), config, remote(bucket, Long.MAX_VALUE))) {
            assertThat(b.damaged()).containsKey(main);
            assertThat(b.damaged().get(main)).contains(victim).contains("damaged");
            assertThatThrownBy(() -> b.fileTree(main)).isInstanceOf(StorageException.Corruption.class);
        }

        // A cache miss on an evicted layer meets the damaged object: the read fails, then succeeds once it is repaired.
        put(bucket, victim, good);
        try (PageStore c = PageStore.open(tmp.resolve("c"), config, remote(bucket, Long.MAX_VALUE))) {
            assertMatches(c.fileTree(main), model);
            c.remote().evictAll();
            damage(bucket, victim);
            assertThatThrownBy(() -> {
                TimelineId scratch = main;
                c.verify(scratch);  // reads every record of every layer, so the damaged one is fetched
            }).isInstanceOf(StorageException.Corruption.class).hasMessageContaining(victim);
            put(bucket, victim, good);
            assertThat(c.verify(main)).isPositive();
            assertMatches(c.fileTree(main), model);
        }
    }

    /** Flips one byte in the middle of an object; returns the good bytes. */
    static byte[] damage(S3Config bucket, String key) throws Exception {
        try (S3RemoteStorage r = S3RemoteStorage.open(bucket)) {
            Path f = Files.createTempFile("arbor-object", ".bin");
            try {
                r.get(key, f);
                byte[] good = Files.readAllBytes(f);
                byte[] bad = good.clone();
                bad[bad.length / 2] ^= 0x5a;
                r.put(key, bad);
                return good;
            } finally {
                Files.deleteIfExists(f);
            }
        }
    }

    static void put(S3Config bucket, String key, byte[] data) {
        try (S3RemoteStorage r = S3RemoteStorage.open(bucket)) {
            r.put(key, data);
        }
    }

    /** Real S3 underneath; records the order of puts and deletes. */
    record Recording(RemoteStorage s3, List<String> events) implements RemoteStorage {
        @Override public void put(String key, Path file) { s3.put(key, file); events.add("put " + key); }
        @Override public void put(String key, byte[] data) {
            s3.put(key, data);
            events.add("put " + key + " " + HexFormat.of().formatHex(data));
        }
        @Override public void get(String key, Path target) { s3.get(key, target); }
        @Override public byte[] getRange(String key, long offset, int length) { return s3.getRange(key, offset, length); }
        @Override public List<String> list(String prefix) { return s3.list(prefix); }
        @Override public void delete(String key) { s3.delete(key); events.add("delete " + key); }
        @Override public String describe() { return s3.describe(); }
        @Override public void close() { s3.close(); }
    }

    @Test void aManifestReachesTheBucketOnlyAfterEveryLayerItNamesAndDroppedLayersGoAfterIt() {
        S3Config bucket = newBucket();
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        TimelineId id;
        try (PageStore a = PageStore.open(tmp.resolve("a"), config.withBackground(Duration.ofMillis(5), Duration.ofHours(1)),
                new RemoteLayerConfig(new Recording(S3RemoteStorage.open(bucket), events), Long.MAX_VALUE))) {
            id = a.createTimeline(Duration.ZERO);
            FileTree t = a.fileTree(id);
            writeRandom(t, new Random(8), "f", 3, 200);  // the background thread flushes while uploads run
            a.compact(id);
            a.gc();  // drops the deltas under the image: they must leave the bucket after the manifest that drops them
            a.flushToRemote(id, WAIT);
        }
        Set<String> present = new HashSet<>();
        int manifests = 0, deletes = 0;
        for (String e : List.copyOf(events)) {
            String[] w = e.split(" ");
            if (w[0].equals("delete")) {
                assertThat(present.remove(w[1])).as("deleted a layer the bucket had: %s", e).isTrue();
                deletes++;
                continue;
            }
            if (!w[1].endsWith("/manifest")) {
                present.add(w[1]);
                continue;
            }
            manifests++;
            dev.arbor.storage.layer.Manifest m = dev.arbor.storage.layer.Manifest.decode(HexFormat.of().parseHex(w[2]), w[1]);
            for (var ref : m.layers())
                assertThat(present).as("manifest upload #%d names %s", manifests, ref.name())
                        .contains("timelines/" + id.value() + "/" + ref.name());
        }
        assertThat(manifests).isGreaterThan(3);
        assertThat(deletes).as("GC'd layers removed from the bucket").isPositive();
    }

    @Test void aLayerThatIsNotUploadedYetIsNeverEvicted() {
        S3Config bucket = newBucket();
        var gate = new java.util.concurrent.CountDownLatch(1);
        long cache = 64 * 1024;
        try (PageStore a = PageStore.open(tmp.resolve("a"), config, new RemoteLayerConfig(new Gated(S3RemoteStorage.open(bucket), gate), cache))) {
            TimelineId id = a.createTimeline();
            Map<String, byte[]> model = writeRandom(a.fileTree(id), new Random(9), "f", 2, 120);
            a.timeline(id).freeze();
            a.timeline(id).flushFrozen();
            a.remote().evictAll();  // uploads are stuck: nothing may go
            assertThat(a.timeline(id).layerCount()).isGreaterThan(3);
            assertThat(a.timeline(id).layers()).noneMatch(LayerFile::isEvicted);
            assertThat(a.remote().residentBytes()).as("over the bound while uploads lag").isGreaterThan(cache);
            assertThat(a.remote().pendingUploads()).isPositive();
            gate.countDown();
            a.remote().awaitUploads(WAIT);
            assertThat(a.remote().residentBytes()).isLessThanOrEqualTo(cache);
            assertThat(a.timeline(id).layers()).anyMatch(LayerFile::isEvicted);
            assertMatches(a.fileTree(id), model);
        } finally {
            gate.countDown();
        }
    }

    @Test void failedUploadsAreRetriedInOrderUntilTheyLand() {
        S3Config bucket = newBucket();
        var failures = new java.util.concurrent.atomic.AtomicInteger(3);
        RemoteStorage flaky = S3RemoteStorage.open(bucket);
        RemoteStorage failing = new RemoteStorage() {  // the first three PUTs fail like a bucket that is briefly unreachable
            @Override public void put(String key, Path file) { fail(); flaky.put(key, file); }
            @Override public void put(String key, byte[] data) { fail(); flaky.put(key, data); }
            private void fail() { if (failures.getAndDecrement() > 0) throw new StorageException("503 Slow Down (injected)"); }
            @Override public void get(String key, Path target) { flaky.get(key, target); }
            @Override public byte[] getRange(String key, long offset, int length) { return flaky.getRange(key, offset, length); }
            @Override public List<String> list(String prefix) { return flaky.list(prefix); }
            @Override public void delete(String key) { flaky.delete(key); }
            @Override public String describe() { return flaky.describe(); }
            @Override public void close() { flaky.close(); }
        };
        TimelineId id;
        Map<String, byte[]> model;
        try (PageStore a = PageStore.open(tmp.resolve("a"), config, new RemoteLayerConfig(failing, Long.MAX_VALUE))) {
            id = a.createTimeline();
            model = writeRandom(a.fileTree(id), new Random(10), "f", 2, 40);
            a.flushToRemote(id, WAIT);
            assertThat(failures.get()).isNegative();
            assertThat(a.remote().lastError()).isNull();
        }
        try (PageStore b = PageStore.open(tmp.resolve("b"), config, remote(bucket, Long.MAX_VALUE))) {
            assertMatches(b.fileTree(id), model);
        }
    }

    @Test void withoutRemoteStorageNothingChanges() {
        try (PageStore s = PageStore.open(tmp.resolve("local"), config)) {
            assertThat(s.remote()).isNull();
            TimelineId id = s.createTimeline();
            assertThatThrownBy(() -> s.flushToRemote(id, WAIT)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test void s3UrlsParseWithClearErrors() {
        S3Config c = S3Config.parse("s3://layers/arbor/prod?endpoint=http://127.0.0.1:9000&region=eu-west-1");
        assertThat(c.bucket()).isEqualTo("layers");
        assertThat(c.prefix()).isEqualTo("arbor/prod");
        assertThat(c.endpoint()).hasToString("http://127.0.0.1:9000");
        assertThat(c.region()).isEqualTo("eu-west-1");
        S3Config k = S3Config.parse("s3://b?access_key=AK&secret_key=SECRET");
        assertThat(k.toString()).doesNotContain("SECRET");
        assertThatThrownBy(() -> S3Config.parse("gs://b")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("s3://");
        assertThatThrownBy(() -> S3Config.parse("s3://b?endpoit=x")).hasMessageContaining("unknown remote storage URL parameter endpoit");
        assertThatThrownBy(() -> S3Config.parse("s3://b?access_key=AK")).hasMessageContaining("both");
        S3Config b = newBucket();
        String url = "s3://" + b.bucket() + "?endpoint=" + b.endpoint() + "&cache_mib=3&access_key=" + S3ProxyServer.ACCESS_KEY
                + "&secret_key=" + S3ProxyServer.SECRET_KEY;
        RemoteLayerConfig rc = RemoteLayerConfig.open(url);
        assertThat(rc.localCacheBytes()).isEqualTo(3L << 20);
        assertThat(rc.storage().list("")).isEmpty();
        rc.storage().close();
        assertThatThrownBy(() -> RemoteLayerConfig.open("s3://b?cache_mib=lots")).hasMessageContaining("cache_mib");
        assertThatThrownBy(() -> S3RemoteStorage.open(new S3Config("missing-bucket", "", s3.endpoint(), null,
                S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY))).isInstanceOf(StorageException.NotFound.class);
    }

    @Test void aPrefixKeepsTwoStoresApartInOneBucket() throws Exception {
        S3Config bucket = newBucket();
        S3Config one = new S3Config(bucket.bucket(), "one", bucket.endpoint(), null, S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY);
        S3Config two = new S3Config(bucket.bucket(), "two", bucket.endpoint(), null, S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY);
        TimelineId id;
        try (PageStore a = PageStore.open(tmp.resolve("a"), config, remote(one, Long.MAX_VALUE))) {
            id = a.createTimeline();
            writeRandom(a.fileTree(id), new Random(7), "f", 1, 5);
            a.flushToRemote(id, WAIT);
        }
        assertThat(objects(bucket)).allMatch(k -> k.startsWith("one/timelines/"));
        try (PageStore b = PageStore.open(tmp.resolve("b"), config, remote(two, Long.MAX_VALUE))) {
            assertThat(b.timelines()).isEmpty();
        }
    }
}
