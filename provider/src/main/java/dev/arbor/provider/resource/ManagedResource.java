package dev.arbor.provider.resource;

import dev.arbor.provider.client.ArborApi;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.tf.Diag;
import java.util.List;
import java.util.Map;

/**
 * One Terraform resource type. State maps hold every schema attribute (null when unset).
 * {@link ResourceEngine} owns the protocol rules (planning unknowns, replacement, merging apply results);
 * implementations only translate between state and Arbor's API.
 */
public interface ManagedResource {
    String typeName();

    Schema schema();

    /** Checks across attributes (single-attribute rules live in the schema's validators). Unknowns are skipped. */
    default List<Diag> validate(Map<String, Object> config) {
        return List.of();
    }

    /** Last say over a non-destroy plan; {@code prior} is null on create. */
    default void modifyPlan(Map<String, Object> prior, Map<String, Object> config, Map<String, Object> planned) {}

    Map<String, Object> create(ArborApi api, Map<String, Object> planned);

    /** The remote object as state, or null when it no longer exists (it is then dropped from state). */
    Map<String, Object> read(ArborApi api, Map<String, Object> state);

    Map<String, Object> update(ArborApi api, Map<String, Object> prior, Map<String, Object> planned);

    void delete(ArborApi api, Map<String, Object> state);

    /** The import id's format, for diagnostics and docs, e.g. {@code <project_id>/<branch_id>}. */
    String importIdFormat();

    /** A partial state from an import id; {@link #read} fills in the rest. */
    Map<String, Object> importState(String id);
}
