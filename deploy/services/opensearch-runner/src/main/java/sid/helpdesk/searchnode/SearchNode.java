package sid.helpdesk.searchnode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.codelibs.opensearch.runner.OpenSearchRunner;

/**
 * Runs one OpenSearch node in this JVM until the process is terminated.
 *
 * <p>Configuration comes from system properties (all optional except home):
 * <ul>
 *   <li>{@code helpdesk.search.home} - directory for the node's config, data and logs</li>
 *   <li>{@code helpdesk.search.host} - bind address, default 127.0.0.1</li>
 *   <li>{@code helpdesk.search.httpPort} - default 9201</li>
 *   <li>{@code helpdesk.search.transportPort} - default 9301</li>
 *   <li>{@code helpdesk.search.clusterName} - default helpdesk-test</li>
 *   <li>{@code helpdesk.search.pidFile} - written with this JVM's pid once the node runs</li>
 *   <li>{@code helpdesk.search.nodeName} - default helpdesk-search-1</li>
 *   <li>{@code helpdesk.search.seedHosts} - comma-separated host:transportPort of other nodes; when set, the
 *       node forms or joins a cluster (discovery.seed_hosts) instead of running single-node</li>
 *   <li>{@code helpdesk.search.initialManagers} - cluster.initial_cluster_manager_nodes (node names) for the
 *       first start of a cluster; default: this node's name</li>
 *   <li>{@code helpdesk.search.roles} - node.roles, comma-separated (e.g. data,ingest); default: the runner's</li>
 * </ul>
 *
 * <p>deploy/services/opensearch.sh runs one node; tests/cluster (make cluster-test) runs two.
 */
public final class SearchNode {

    private SearchNode() {
    }

    public static void main(final String[] args) throws Exception {
        final String home = System.getProperty("helpdesk.search.home");
        if (home == null || home.isEmpty()) {
            System.err.println("SearchNode: -Dhelpdesk.search.home=<dir> is required");
            System.exit(2);
        }
        final String host = System.getProperty("helpdesk.search.host", "127.0.0.1");
        final int httpPort = Integer.getInteger("helpdesk.search.httpPort", 9201);
        final int transportPort = Integer.getInteger("helpdesk.search.transportPort", 9301);
        final String clusterName = System.getProperty("helpdesk.search.clusterName", "helpdesk-test");
        final String pidFile = System.getProperty("helpdesk.search.pidFile");
        final String nodeName = System.getProperty("helpdesk.search.nodeName", "helpdesk-search-1");
        final String seedHosts = System.getProperty("helpdesk.search.seedHosts", "");
        final String initialManagers = System.getProperty("helpdesk.search.initialManagers", nodeName);
        final String roles = System.getProperty("helpdesk.search.roles", "");

        final OpenSearchRunner runner = new OpenSearchRunner();
        // Ports are fixed below; do not let the runner probe for free ones.
        runner.setMaxHttpPort(-1);
        runner.onBuild((index, settings) -> {
            settings.put("network.host", host);
            settings.put("http.port", String.valueOf(httpPort));
            settings.put("transport.port", String.valueOf(transportPort));
            if (seedHosts.isEmpty()) {
                settings.put("discovery.type", "single-node");
            } else {
                settings.putList("discovery.seed_hosts", seedHosts.split(","));
                settings.putList("cluster.initial_cluster_manager_nodes", initialManagers.split(","));
            }
            if (!roles.isEmpty()) {
                settings.putList("node.roles", roles.split(","));
            }
            settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
            settings.put("node.name", nodeName);
        });

        final Thread closer = new Thread(() -> {
            try {
                runner.close();
            } catch (final IOException e) {
                System.err.println("SearchNode: close failed: " + e);
            }
        }, "search-node-shutdown");
        Runtime.getRuntime().addShutdownHook(closer);

        try {
            runner.build(OpenSearchRunner.newConfigs()
                    .basePath(home)
                    .numOfNode(1)
                    .clusterName(clusterName)
                    .printOnFailure());
        } catch (final RuntimeException e) {
            System.err.println("SearchNode: failed to start the node");
            e.printStackTrace();
            System.exit(1);
        }

        if (pidFile != null && !pidFile.isEmpty()) {
            final Path path = Paths.get(pidFile);
            final Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
            Files.write(tmp, (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
            Files.move(tmp, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        System.out.println("SearchNode: node started, http://" + host + ":" + httpPort);

        while (!runner.isClosed()) {
            Thread.sleep(2000L);
        }
    }
}
