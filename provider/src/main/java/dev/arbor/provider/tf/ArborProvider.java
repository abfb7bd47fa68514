package dev.arbor.provider.tf;

import dev.arbor.provider.data.BranchDataSource;
import dev.arbor.provider.data.BranchesDataSource;
import dev.arbor.provider.data.ConnectionUriDataSource;
import dev.arbor.provider.data.DataSource;
import dev.arbor.provider.data.ProjectDataSource;
import dev.arbor.provider.resource.BranchResource;
import dev.arbor.provider.resource.DatabaseResource;
import dev.arbor.provider.resource.EndpointResource;
import dev.arbor.provider.resource.ManagedResource;
import dev.arbor.provider.resource.MaskingRulesResource;
import dev.arbor.provider.resource.ProjectResource;
import dev.arbor.provider.resource.RoleResource;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The provider's catalogue: its configuration schema, resources and data sources. */
public final class ArborProvider {
    public static final String ENV_API_URL = "ARBOR_API_URL";
    public static final String ENV_API_KEY = "ARBOR_API_KEY";

    public static final Schema CONFIG = new Schema(0,
            "The Arbor provider manages projects, branches, endpoints, roles, databases and masking rules on an Arbor server "
                    + "through its Neon-compatible HTTP API.",
            List.of(
                    Attribute.string("api_url").optional()
                            .description("Base URL of the Arbor API, e.g. `http://localhost:8080/api/v2` (a URL "
                                    + "without a path gets `/api/v2`). Falls back to the `" + ENV_API_URL
                                    + "` environment variable.").build(),
                    Attribute.string("api_key").optional().sensitive()
                            .description("API key sent as a bearer token. Falls back to the `" + ENV_API_KEY
                                    + "` environment variable.").build()));

    private final Map<String, ManagedResource> resources = new LinkedHashMap<>();
    private final Map<String, DataSource> dataSources = new LinkedHashMap<>();

    public ArborProvider() {
        for (ManagedResource r : List.of(new ProjectResource(), new BranchResource(), new EndpointResource(),
                new RoleResource(), new DatabaseResource(), new MaskingRulesResource())) {
            resources.put(r.typeName(), r);
        }
        for (DataSource d : List.of(new ProjectDataSource(), new BranchDataSource(), new BranchesDataSource(),
                new ConnectionUriDataSource())) {
            dataSources.put(d.typeName(), d);
        }
    }

    public Map<String, ManagedResource> resources() {
        return resources;
    }

    public Map<String, DataSource> dataSources() {
        return dataSources;
    }

    public ManagedResource resource(String type) {
        ManagedResource r = resources.get(type);
        if (r == null) {
            throw new ProviderError(Diag.error("Unknown resource type", "This provider has no resource \"" + type + "\"."));
        }
        return r;
    }

    public DataSource dataSource(String type) {
        DataSource d = dataSources.get(type);
        if (d == null) {
            throw new ProviderError(Diag.error("Unknown data source", "This provider has no data source \"" + type + "\"."));
        }
        return d;
    }
}
