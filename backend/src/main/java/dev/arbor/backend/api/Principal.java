package dev.arbor.backend.api;

import java.util.Optional;

/** Who is calling: an API key, either an admin (org) key or one scoped to a single project. */
public record Principal(long keyId, String keyName, Optional<String> projectId, Optional<Double> rateLimitPerSecond) {
    public boolean admin() { return projectId.isEmpty(); }

    /** 403 unless this key may act on {@code project}. */
    public void checkProject(String project) {
        if (projectId.isPresent() && !projectId.get().equals(project)) {
            throw ApiException.forbidden("this API key is scoped to project " + projectId.get()
                    + " and cannot access project " + project);
        }
    }

    public void requireAdmin(String what) {
        if (!admin()) throw ApiException.forbidden("a project-scoped API key cannot " + what + "; use an admin key");
    }
}
