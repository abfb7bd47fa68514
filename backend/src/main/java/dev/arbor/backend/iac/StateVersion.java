package dev.arbor.backend.iac;

import java.time.Instant;
import java.util.Optional;

/** One stored version of a Terraform state (the body is loaded only when asked for). */
public record StateVersion(int version, Optional<Long> serial, Optional<String> lineage, String md5Hex, int sizeBytes,
                           Instant createdAt) {}
