package dev.arbor.storage.remote;

import dev.arbor.storage.FileAttr;
import dev.arbor.storage.FileTree;
import dev.arbor.storage.StoreConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.*;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the remote-layer tests share: one real S3 server (s3proxy) on loopback per test class, a bucket per
 * test, stores with small open layers, and a model of files to write and check page by page.
 */
abstract class RemoteStoreTest {
    static final int PAGE = 8192;
    static final Duration WAIT = Duration.ofMinutes(2);
    static S3ProxyServer s3;

    @TempDir Path tmp;

    /** Small open layers so a few hundred KiB of writes make many delta layers. */
    final StoreConfig config = StoreConfig.defaults().withOpenLayerBytes(64 * 1024);

    @BeforeAll static void startS3() throws Exception { s3 = new S3ProxyServer(); }

    @AfterAll static void stopS3() throws Exception { if (s3 != null) s3.close(); }

    static S3Config newBucket() { return s3.newBucket(); }

    /** The model: path -> content. Writes random pages at random places of a few files. */
    static Map<String, byte[]> writeRandom(FileTree t, Random rnd, String prefix, int files, int writes) {
        Map<String, byte[]> model = new TreeMap<>();
        for (int f = 0; f < files; f++) {
            String p = "/" + prefix + f;
            t.create(p, 0600);
            model.put(p, new byte[0]);
        }
        for (int i = 0; i < writes; i++) {
            String p = "/" + prefix + rnd.nextInt(files);
            byte[] data = new byte[PAGE / 2 + rnd.nextInt(PAGE * 2)];
            rnd.nextBytes(data);
            long off = (long) rnd.nextInt(24) * PAGE + rnd.nextInt(PAGE);
            t.write(t.stat(p).inode(), off, ByteBuffer.wrap(data));
            byte[] old = model.get(p);
            byte[] now = Arrays.copyOf(old, (int) Math.max(old.length, off + data.length));
            System.arraycopy(data, 0, now, (int) off, data.length);
            model.put(p, now);
        }
        return model;
    }

    /** Reads every file page by page and compares with the model. */
    static void assertMatches(FileTree t, Map<String, byte[]> model) {
        for (var e : model.entrySet()) {
            FileAttr a = t.stat(e.getKey());
            assertThat(a.size()).as("size of %s", e.getKey()).isEqualTo(e.getValue().length);
            for (int off = 0; off < e.getValue().length; off += PAGE) {
                int n = Math.min(PAGE, e.getValue().length - off);
                ByteBuffer b = ByteBuffer.allocate(n);
                t.read(a.inode(), off, b);
                assertThat(b.array()).as("%s page %d", e.getKey(), off / PAGE)
                        .isEqualTo(Arrays.copyOfRange(e.getValue(), off, off + n));
            }
        }
    }

    static List<String> objects(S3Config c) {
        try (S3RemoteStorage r = S3RemoteStorage.open(c)) {
            return r.list("");
        }
    }

    /** Real S3 underneath; layer uploads wait for the gate to open. */
    record Gated(RemoteStorage s3, java.util.concurrent.CountDownLatch gate) implements RemoteStorage {
        @Override public void put(String key, Path file) {
            try {
                gate.await();
            } catch (InterruptedException e) {
                throw new dev.arbor.storage.StorageException("interrupted");
            }
            s3.put(key, file);
        }
        @Override public void put(String key, byte[] data) { s3.put(key, data); }
        @Override public void get(String key, Path target) { s3.get(key, target); }
        @Override public byte[] getRange(String key, long offset, int length) { return s3.getRange(key, offset, length); }
        @Override public List<String> list(String prefix) { return s3.list(prefix); }
        @Override public void delete(String key) { s3.delete(key); }
        @Override public String describe() { return s3.describe(); }
        @Override public void close() { s3.close(); }
    }
}
