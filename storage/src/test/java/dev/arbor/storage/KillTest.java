package dev.arbor.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A real kill -9 of a writing JVM: everything written before its last completed sync survives. */
class KillTest {
    @TempDir Path dir;

    /** The victim: writes numbered 8 KiB blocks, syncs every 8, reports each completed sync on stdout. */
    public static void main(String[] args) {
        PageStore store = PageStore.open(Path.of(args[0]), StoreConfig.defaults().withOpenLayerBytes(1 << 20));
        TimelineId id = store.createTimeline(null);
        System.out.println("timeline " + id);
        FileTree t = store.fileTree(id);
        long inode = t.create("/data", 0600).inode();
        for (int n = 0; ; n++) {
            byte[] b = ConcurrencyTest.block(1 + n % 250);
            ByteBuffer.wrap(b).putInt(0, n);
            t.write(inode, (long) n * 8192, ByteBuffer.wrap(b));
            if (n % 8 == 7) {
                t.sync();
                System.out.println("synced " + n);
                System.out.flush();
            }
        }
    }

    @Test void syncedWritesSurviveKill9() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), KillTest.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        // a watchdog, so a stuck victim fails the test instead of hanging the build
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                if (!p.waitFor(120, TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException ignored) { }
        });
        TimelineId id = null;
        int synced = -1;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("timeline ")) id = new TimelineId(line.substring(9));
                else if (line.startsWith("synced ")) {
                    synced = Integer.parseInt(line.substring(7));
                    if (synced >= 500) break;
                } else throw new AssertionError("victim said: " + line);
            }
            p.destroyForcibly();  // SIGKILL: no shutdown hooks, no buffers written out
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        watchdog.interrupt();
        assertThat(id).as("victim never created its timeline").isNotNull();
        assertThat(synced).isGreaterThanOrEqualTo(500);
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            FileTree t = store.fileTree(id);
            long size = t.stat("/data").size();
            assertThat(size).isGreaterThanOrEqualTo((synced + 1) * 8192L);
            ByteBuffer b = ByteBuffer.allocate(8192);
            for (int n = 0; n * 8192L < size; n++) {
                b.clear();
                t.read(t.stat("/data").inode(), n * 8192L, b);
                assertThat(b.getInt(0)).as("block " + n).isEqualTo(n);
                assertThat(b.get(100) & 0xff).isEqualTo(1 + n % 250);
            }
        }
        assertThat(Files.exists(dir)).isTrue();
    }
}
