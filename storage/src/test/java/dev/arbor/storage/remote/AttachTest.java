package dev.arbor.storage.remote;

import dev.arbor.storage.*;
import dev.arbor.storage.layer.Manifest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Cluster mode: several stores share one bucket, each serving only the timelines it attached (a project
 * whose lease its node holds), against a real S3 server (s3proxy) on loopback.
 */
class AttachTest extends RemoteStoreTest {
    /** A cluster node's store: serves nothing until it attaches. */
    PageStore node(String name, S3Config bucket) { return node(name, S3RemoteStorage.open(bucket)); }

    PageStore node(String name, RemoteStorage storage) {
        return PageStore.open(tmp.resolve(name), config, new RemoteLayerConfig(storage, Long.MAX_VALUE).withAttachOnOpen(false));
    }

    static byte[] object(S3Config bucket, String key) throws Exception {
        try (S3RemoteStorage r = S3RemoteStorage.open(bucket)) {
            Path f = Files.createTempFile("arbor-object", ".bin");
            try {
                r.get(key, f);
                return Files.readAllBytes(f);
            } finally {
                Files.deleteIfExists(f);
            }
        }
    }

    static String manifestKey(TimelineId id) { return "timelines/" + id.value() + "/manifest"; }

    static Map<String, byte[]> merged(Map<String, byte[]> base, Map<String, byte[]> more) {
        Map<String, byte[]> m = new TreeMap<>(base);
        m.putAll(more);
        return m;
    }

    @Test void aClosedWriteGateHoldsEveryUploadUntilItOpens() throws Exception {
        S3Config bucket = newBucket();
        try (PageStore a = node("a", bucket)) {
            java.util.concurrent.atomic.AtomicBoolean confirmed = new java.util.concurrent.atomic.AtomicBoolean(true);
            a.remote().setWriteGate(confirmed::get);
            TimelineId t = a.createTimeline(Duration.ofDays(1));
            Map<String, byte[]> first = writeRandom(a.fileTree(t), new Random(7), "f", 2, 40);
            a.fileTree(t).sync();
            a.flushToRemote(t, WAIT);
            byte[] before = object(bucket, manifestKey(t));

            // the node can no longer confirm it owns the timeline: nothing it writes reaches the bucket
            confirmed.set(false);
            Map<String, byte[]> second = writeRandom(a.fileTree(t), new Random(8), "g", 2, 40);
            a.fileTree(t).sync();
            a.uploadSoon();
            assertThatThrownBy(() -> a.remote().awaitUploads(Duration.ofSeconds(3))).isInstanceOf(StorageException.class);
            assertThat(object(bucket, manifestKey(t))).isEqualTo(before);
            assertThat(a.remoteLagBytes()).isPositive();

            // confirmed again: the held uploads land, in order
            confirmed.set(true);
            a.remote().awaitUploads(WAIT);
            assertThat(object(bucket, manifestKey(t))).isNotEqualTo(before);
            assertThat(a.remoteLagBytes()).isZero();
            try (PageStore b = node("b", bucket)) {
                b.attach(List.of(t), true);
                assertMatches(b.fileTree(t), merged(first, second));
            }
        }
    }

    @Test void aProjectMovesBetweenNodesThroughTheBucket() {
        S3Config bucket = newBucket();
        TimelineId root, child;
        Lsn pastLsn;
        Map<String, byte[]> past, rootModel, childModel;
        try (PageStore a = node("a", bucket); PageStore b = node("b", bucket)) {
            assertThat(a.remote().storage()).isNotNull();
            // Node A owns the project: a root with history and a branch that inherits part of it.
            root = a.createTimeline(Duration.ofDays(1));
            FileTree rt = a.fileTree(root);
            past = writeRandom(rt, new Random(1), "f", 3, 80);
            rt.sync();
            pastLsn = rt.lsn();
            rootModel = merged(past, writeRandom(rt, new Random(2), "g", 2, 40));
            child = a.branch(root, BranchPoint.head());
            childModel = merged(rootModel, writeRandom(a.fileTree(child), new Random(3), "c", 2, 40));
            rootModel = merged(rootModel, writeRandom(rt, new Random(4), "r", 1, 20));  // after the branch point: not inherited
            a.flushToRemote(root, WAIT);
            a.flushToRemote(child, WAIT);
            assertThat(b.timelines()).isEmpty();

            // A gives the lease up, B takes it (the child listed first: attach links ancestors after loading all).
            Path aRootDir = a.timeline(root).dir();
            a.release(List.of(root, child), WAIT);
            assertThat(a.timelines()).isEmpty();
            assertThat(aRootDir).doesNotExist();
            assertThatThrownBy(() -> a.fileTree(root)).isInstanceOf(StorageException.NotFound.class);
            assertThatThrownBy(() -> rt.write(rt.stat("/f0").inode(), 0, java.nio.ByteBuffer.wrap(new byte[10])))
                    .as("a handle kept from before the release cannot write").isInstanceOf(StorageException.NotFound.class);
            a.release(List.of(root), WAIT);  // unknown here now: no-op

            b.attach(List.of(child, root), true);
            assertThat(b.timelines()).extracting(TimelineInfo::id).containsExactlyInAnyOrder(root, child);
            assertThat(b.damaged()).isEmpty();
            assertThat(b.info(child).ancestor()).isEqualTo(root);
            assertThat(b.lastLsn().value()).as("B's LSN counter resumes above the project's")
                    .isGreaterThanOrEqualTo(Math.max(b.info(root).headLsn().value(), b.info(child).headLsn().value()));
            assertMatches(b.fileTree(root), rootModel);
            assertMatches(b.fileTree(root, pastLsn), past);
            assertMatches(b.fileTree(child), childModel);
            b.attach(List.of(root, child), true);  // already attached: skipped
            assertMatches(b.fileTree(child), childModel);

            // B writes, uploads, and hands the project back.
            long before = b.lastLsn().value();
            rootModel = merged(rootModel, writeRandom(b.fileTree(root), new Random(5), "h", 1, 30));
            childModel = merged(childModel, writeRandom(b.fileTree(child), new Random(6), "d", 1, 30));
            assertThat(b.info(root).headLsn().value()).isGreaterThan(before);
            b.release(List.of(root, child), WAIT);
            assertThat(b.timelines()).isEmpty();

            // A attaches again, replacing nothing (its directories went at release) and sees B's writes.
            a.attach(List.of(root, child), true);
            assertMatches(a.fileTree(root), rootModel);
            assertMatches(a.fileTree(child), childModel);
            assertMatches(a.fileTree(root, pastLsn), past);
            assertThat(a.lastLsn().value()).isGreaterThanOrEqualTo(a.info(root).headLsn().value());
            a.release(List.of(root, child), WAIT);
        }
        // The bucket holds everything after the releases: a third node on an empty disk serves it.
        try (PageStore c = node("c", bucket)) {
            c.attach(List.of(root, child), false);  // no local copy: comes from the bucket
            assertMatches(c.fileTree(root), rootModel);
            assertMatches(c.fileTree(child), childModel);
        }
    }

    @Test void attachRunsWhileTheStoreServesAndBranchesOtherTimelines() throws Exception {
        S3Config bucket = newBucket();
        TimelineId root, child;
        Map<String, byte[]> rootModel, childModel;
        try (PageStore a = node("a", bucket)) {
            root = a.createTimeline();
            rootModel = writeRandom(a.fileTree(root), new Random(15), "f", 3, 120);
            child = a.branch(root, BranchPoint.head());
            childModel = merged(rootModel, writeRandom(a.fileTree(child), new Random(16), "c", 2, 60));
            a.flushToRemote(root, WAIT);
            a.flushToRemote(child, WAIT);
            a.release(List.of(root, child), WAIT);
        }
        try (PageStore b = node("b", bucket)) {
            TimelineId own = b.createTimeline();
            FileTree ot = b.fileTree(own);
            Map<String, byte[]> ownModel = new java.util.concurrent.ConcurrentHashMap<>();
            List<TimelineId> branches = new java.util.concurrent.CopyOnWriteArrayList<>();
            var stop = new java.util.concurrent.atomic.AtomicBoolean();
            var writer = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                var done = writer.submit(() -> {
                    Random rnd = new Random(17);
                    for (int i = 0; !stop.get() || i < 20; i++) {  // writes and branch creations (treeLock) meanwhile
                        ownModel.putAll(writeRandom(ot, rnd, "w" + i + "-", 1, 3));
                        ot.sync();
                        if (i % 5 == 0) branches.add(b.branch(own, BranchPoint.head()));
                    }
                    return null;
                });
                b.attach(List.of(root, child), true);
                assertMatches(b.fileTree(child), childModel);
                stop.set(true);
                done.get(2, java.util.concurrent.TimeUnit.MINUTES);
            } finally {
                stop.set(true);
                writer.shutdownNow();
            }
            assertMatches(b.fileTree(own), ownModel);
            assertMatches(b.fileTree(root), rootModel);
            assertThat(b.timelines()).hasSize(3 + branches.size());
            assertThat(b.damaged()).isEmpty();
            // LSNs stay unique across the attached project and the store's own timelines.
            long high = Math.max(b.info(root).headLsn().value(), b.info(own).headLsn().value());
            assertThat(b.lastLsn().value()).isGreaterThanOrEqualTo(high);
            long before = b.info(own).headLsn().value();
            b.fileTree(root).create("/after", 0600);
            assertThat(b.info(root).headLsn().value()).isGreaterThan(Math.max(before, b.info(child).headLsn().value()));
        }
    }

    @Test void aClusterNodeOpenedOnAStaleDiskServesAndUploadsNothingUntilAttached() throws Exception {
        S3Config bucket = newBucket();
        TimelineId id;
        Map<String, byte[]> model;
        try (PageStore a = node("a", bucket)) {
            id = a.createTimeline();
            model = writeRandom(a.fileTree(id), new Random(7), "f", 2, 40);
            a.flushToRemote(id, WAIT);
            a.crashForTesting(new Random(1));  // A dies holding the lease: its disk keeps a copy
        }
        try (PageStore b = node("b", bucket)) {  // B takes over and moves the timeline on
            b.attach(List.of(id), true);
            model = merged(model, writeRandom(b.fileTree(id), new Random(8), "g", 1, 30));
            b.compact(id);
            b.gc();
            b.flushToRemote(id, WAIT);
        }
        byte[] newest = object(bucket, manifestKey(id));
        List<String> objects = objects(bucket);
        Path staleDir = tmp.resolve("a").resolve("timelines").resolve(id.value());
        assertThat(Manifest.read(staleDir).encode()).as("A's copy is stale").isNotEqualTo(newest);

        try (PageStore a = node("a", bucket)) {
            assertThat(a.timelines()).isEmpty();
            assertThat(a.damaged()).isEmpty();
            assertThatThrownBy(() -> a.fileTree(id)).isInstanceOf(StorageException.NotFound.class);
            a.uploadSoon();
            a.remote().awaitUploads(WAIT);
            assertThat(a.remoteLagBytes()).isZero();
            assertThat(object(bucket, manifestKey(id))).as("the bucket's manifest is untouched").isEqualTo(newest);
            assertThat(objects(bucket)).isEqualTo(objects);
            assertThat(staleDir.resolve(Manifest.FILE)).as("the local copy stays as a cache").exists();

            // Even told to keep its copy, A sees that the bucket's manifest is not one it put: B wrote since.
            a.attach(List.of(id), false);
            assertMatches(a.fileTree(id), model);
            a.remote().awaitUploads(WAIT);
            assertThat(object(bucket, manifestKey(id))).isEqualTo(newest);
        }
    }

    @Test void attachKeepingTheLocalCopyRecoversTheTailWrittenAfterTheLastUpload() {
        S3Config bucket = newBucket();
        TimelineId id;
        Map<String, byte[]> uploaded, model;
        try (PageStore a = node("a", bucket)) {
            id = a.createTimeline();
            FileTree t = a.fileTree(id);
            uploaded = writeRandom(t, new Random(9), "f", 2, 40);
            a.flushToRemote(id, WAIT);
            model = merged(uploaded, writeRandom(t, new Random(10), "tail", 1, 1));  // less than an open layer: stays in it
            t.sync();
            assertThat(a.remoteLagBytes()).isPositive();
            a.crashForTesting(new Random(2));
        }
        try (PageStore fresh = node("fresh", bucket)) {  // the bucket lacks the tail
            fresh.attach(List.of(id), true);
            assertThatThrownBy(() -> fresh.fileTree(id).stat("/tail0")).isInstanceOf(StorageException.NotFound.class);
            fresh.release(List.of(id), WAIT);
        }
        try (PageStore a = node("a", bucket)) {  // the same node restarts and takes its lease back
            assertThat(a.timelines()).isEmpty();
            a.attach(List.of(id), false);
            assertMatches(a.fileTree(id), model);
            assertThat(a.lastLsn().value()).isGreaterThanOrEqualTo(a.info(id).headLsn().value());
            a.uploadSoon();
            a.remote().awaitUploads(WAIT);
            assertThat(a.remoteLagBytes()).isZero();
            a.release(List.of(id), WAIT);
        }
        try (PageStore c = node("c", bucket)) {
            c.attach(List.of(id), false);
            assertMatches(c.fileTree(id), model);
        }
    }

    @Test void theRecordOfUploadedManifestsStaysBoundedAndStillVouchesForTheLatest() {
        S3Config bucket = newBucket();
        TimelineId id;
        Map<String, byte[]> model;
        Path record;
        try (PageStore a = node("a", bucket)) {
            id = a.createTimeline();
            record = a.timeline(id).dir().resolve(RemoteLayers.UPLOADS);
            for (int i = 1; i <= 600; i++) a.setHistoryWindow(id, Duration.ofMinutes(i));  // one manifest upload each
            a.remote().awaitUploads(WAIT);
            long size = record.toFile().length();
            assertThat(size).as("rewritten with the latest entries past 512").isPositive().isLessThanOrEqualTo(8L * 512);
            assertThat(size % 8).isZero();
            FileTree t = a.fileTree(id);
            model = writeRandom(t, new Random(18), "tail", 1, 1);
            t.sync();
            a.crashForTesting(new Random(3));
        }
        try (PageStore a = node("a", bucket)) {
            a.attach(List.of(id), false);  // the bucket's manifest is the latest this node put: its copy is kept
            assertMatches(a.fileTree(id), model);
            assertThat(a.info(id).historyWindow()).isEqualTo(Duration.ofMinutes(600));
        }
    }

    @Test void remoteLagCountsWhatOnlyThisDiskHolds() {
        S3Config bucket = newBucket();
        try (PageStore a = PageStore.open(tmp.resolve("a"), config.withBackground(Duration.ofMillis(50), Duration.ofHours(1)),
                new RemoteLayerConfig(S3RemoteStorage.open(bucket), Long.MAX_VALUE).withAttachOnOpen(false))) {
            TimelineId id = a.createTimeline();
            a.remote().awaitUploads(WAIT);
            assertThat(a.remoteLagBytes()).as("the root directory's record is in the open layer").isPositive();
            a.uploadSoon();
            a.remote().awaitUploads(WAIT);
            assertThat(a.remoteLagBytes()).isZero();
            FileTree t = a.fileTree(id);
            byte[] page = new byte[8192];
            new Random(14).nextBytes(page);
            t.write(t.create("/x", 0600).inode(), 0, java.nio.ByteBuffer.wrap(page));
            assertThat(a.remoteLagBytes()).isGreaterThanOrEqualTo(8192);
            writeRandom(t, new Random(11), "f", 2, 60);  // more than one open layer: frozen and flushed layers queue up
            t.write(t.stat("/x").inode(), 8192, java.nio.ByteBuffer.wrap(Arrays.copyOf(page, 100)));
            assertThat(a.remoteLagBytes()).isGreaterThanOrEqualTo(100);
            a.uploadSoon();  // the flush runs on the background thread; awaitUploads covers it
            a.remote().awaitUploads(WAIT);
            assertThat(a.remoteLagBytes()).isZero();
            assertThat(a.timeline(id).unflushedBytes()).isZero();
        }
        try (PageStore local = PageStore.open(tmp.resolve("local"), config)) {
            TimelineId id = local.createTimeline();
            writeRandom(local.fileTree(id), new Random(12), "f", 1, 5);
            assertThat(local.remoteLagBytes()).isZero();
            local.uploadSoon();  // nothing to upload to: no-op
            assertThatThrownBy(() -> local.attach(List.of(id), false)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test void releaseRefusesToSplitAProjectAndAttachRefusesUnknownTimelines() {
        S3Config bucket = newBucket();
        try (PageStore a = node("a", bucket)) {
            TimelineId root = a.createTimeline();
            TimelineId child = a.branch(root, BranchPoint.head());
            assertThatThrownBy(() -> a.release(List.of(root), WAIT)).isInstanceOf(StorageException.Conflict.class)
                    .hasMessageContaining(child.value());
            assertThat(a.timelines()).hasSize(2);  // nothing half-done
            a.fileTree(root).create("/still-writable", 0600);
            TimelineId nowhere = TimelineId.generate();
            assertThatThrownBy(() -> a.attach(List.of(nowhere), true)).isInstanceOf(StorageException.NotFound.class)
                    .hasMessageContaining(nowhere.value());
            a.release(List.of(child), WAIT);  // a branch alone may go
            assertThat(a.timelines()).extracting(TimelineInfo::id).containsExactly(root);
            // A child whose ancestor is neither attached nor in the set is reported damaged, never served.
            a.release(List.of(root), WAIT);
            a.attach(List.of(child), true);
            assertThat(a.damaged()).containsKey(child);
            assertThat(a.damaged().get(child)).contains(root.value());
            assertThatThrownBy(() -> a.fileTree(child)).isInstanceOf(StorageException.Corruption.class);
            a.attach(List.of(root), true);
            a.attach(List.of(child), true);  // a damaged timeline is tried again
            assertThat(a.damaged()).isEmpty();
            assertThat(a.info(child).ancestor()).isEqualTo(root);
            assertThat(a.fileTree(root).stat("/still-writable")).isNotNull();
        }
    }

    @Test void aReleaseWhoseUploadsDoNotLandKeepsTheLocalCopyAndNeverUploadsAfterwards() throws Exception {
        S3Config bucket = newBucket();
        CountDownLatch gate = new CountDownLatch(1);
        TimelineId id;
        Map<String, byte[]> model;
        try (PageStore a = node("a", new Gated(S3RemoteStorage.open(bucket), gate))) {
            id = a.createTimeline();
            a.remote().awaitUploads(WAIT);  // the empty timeline's manifest (no layers: not gated)
            byte[] first = object(bucket, manifestKey(id));
            model = writeRandom(a.fileTree(id), new Random(13), "f", 1, 20);
            assertThatThrownBy(() -> a.release(List.of(id), Duration.ofMillis(300)))
                    .isInstanceOf(StorageException.class).hasMessageContaining("kept");
            assertThat(a.timelines()).isEmpty();
            Path dir = tmp.resolve("a").resolve("timelines").resolve(id.value());
            assertThat(dir.resolve(Manifest.FILE)).exists();
            gate.countDown();
            a.remote().awaitUploads(WAIT);
            assertThat(object(bucket, manifestKey(id))).as("no manifest of the released timeline lands afterwards").isEqualTo(first);

            a.attach(List.of(id), false);  // the lease came back to this node: its copy is the newest
            a.remote().awaitUploads(WAIT);
            assertMatches(a.fileTree(id), model);
        } finally {
            gate.countDown();
        }
        try (PageStore b = node("b", bucket)) {
            b.attach(List.of(id), true);
            assertMatches(b.fileTree(id), model);
        }
    }
}
