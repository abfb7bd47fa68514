package dev.arbor.provider.data;

import dev.arbor.provider.client.ArborApi;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.tf.Diag;
import java.util.List;
import java.util.Map;

/** One Terraform data source type. */
public interface DataSource {
    String typeName();

    Schema schema();

    default List<Diag> validate(Map<String, Object> config) {
        return List.of();
    }

    /** Reads the object; throws {@link dev.arbor.provider.tf.ProviderError} when it does not exist. */
    Map<String, Object> read(ArborApi api, Map<String, Object> config);
}
