package dev.arbor.backend.compute.volume;

import org.cryptomator.jfuse.api.FileInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Sets libfuse's {@code direct_io} bit on an open file: the kernel then sends each write straight to the daemon
 * instead of through its page cache. jfuse's {@link FileInfo} does not expose the bit, so it is written in the
 * {@code struct fuse_file_info} jfuse wraps: after {@code int flags} come the bitfields {@code writepage : 1,
 * direct_io : 1, keep_cache : 1, ...} (libfuse 3 ABI, bit 1 of the 32-bit word at offset 4 on x86-64 and aarch64).
 * Where jfuse's layout is not the one expected, nothing is set and files keep the page cache (correct, slower).
 */
final class DirectIo {
    private static final Logger log = LoggerFactory.getLogger(DirectIo.class);
    private static final long BITS_OFFSET = 4;
    private static final int DIRECT_IO = 1 << 1;
    private static final MethodHandle SEGMENT = segmentAccessor();

    private DirectIo() {}

    /** Sets the bit; when it cannot, the file keeps the page cache. */
    static void set(FileInfo fi) {
        if (SEGMENT == null || fi == null) return;
        try {
            MemorySegment s = ((MemorySegment) SEGMENT.invoke(fi)).reinterpret(BITS_OFFSET + 4);
            s.set(ValueLayout.JAVA_INT, BITS_OFFSET, s.get(ValueLayout.JAVA_INT, BITS_OFFSET) | DIRECT_IO);
        } catch (Throwable ignored) { }
    }

    private static MethodHandle segmentAccessor() {
        Exception last = null;
        for (String arch : new String[] {"amd64", "aarch64"}) {
            try {
                var m = Class.forName("org.cryptomator.jfuse.linux." + arch + ".FileInfoImpl").getMethod("segment");
                m.setAccessible(true);  // the class is package-private (jfuse sits in the unnamed module)
                return MethodHandles.lookup().unreflect(m).asType(MethodType.methodType(MemorySegment.class, FileInfo.class));
            } catch (ReflectiveOperationException | RuntimeException e) {
                last = e;
            }
        }
        log.warn("jfuse's fuse_file_info is not reachable ({}): WAL files go through the page cache", last.toString());
        return null;
    }
}
