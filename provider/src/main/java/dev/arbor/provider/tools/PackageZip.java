package dev.arbor.provider.tools;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Zips the package directory with sorted entries and fixed timestamps (build time only), marking the
 * launcher executable through the Unix mode bits that {@code unzip} and Terraform honour.
 */
public final class PackageZip {
    private static final FileTime FIXED = FileTime.fromMillis(1767225600000L); // 2026-01-01T00:00:00Z

    private PackageZip() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Path zip = Path.of(args[1]);
        String executable = args[2];
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        Path tmp = zip.resolveSibling(zip.getFileName() + ".tmp");
        try (OutputStream raw = Files.newOutputStream(tmp); ZipOutputStream out = new ZipOutputStream(raw)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                ZipEntry e = new ZipEntry(name);
                e.setLastModifiedTime(FIXED);
                e.setExtra(null);
                out.putNextEntry(e);
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        // java.util.zip cannot write Unix modes; patch them into the central directory.
        byte[] b = Files.readAllBytes(tmp);
        UnixModes.apply(b, executable);
        Files.write(zip, b);
        Files.delete(tmp);
    }
}
