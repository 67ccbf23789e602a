package org.rfaas.executormanager;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.net.URI;
import java.util.List;
import org.rfaas.rmclient.ResourceManagerClient;

/**
 * The {@code resourceManager} object of an executor-manager config file: where the resource
 * manager is and how often to heartbeat. Defaults and validation happen here, when the file is
 * read (see {@link ExecutorManagerConfig}); the link to the resource manager only uses it.
 *
 * <pre>{@code "resourceManager": {"url": "http://rm:8090", "heartbeatMillis": 2000}}</pre>
 *
 * Several resource managers sharing one database (a leader and standbys) are named in one URL,
 * hosts separated by commas: {@code "url": "http://rm1:8090,rm2:8090"}; the link fails over between
 * them as {@link ResourceManagerClient} does.
 *
 * @param url the first resource manager named (http or https, with a host)
 * @param heartbeatMillis heartbeat period, default 2000; keep it well under the resource manager's timeout
 * @param urls the URL as configured, naming one resource manager or several
 */
public record ResourceManagerLinkConfig(URI url, long heartbeatMillis, @JsonIgnore URI urls) {
    /** Heartbeat period when the file names none. */
    public static final long DEFAULT_HEARTBEAT_MILLIS = 2000;

    /**
     * @param url base URL of the resource manager (http or https), or of several: {@code http://rm1:8090,rm2:8090}
     * @param heartbeatMillis heartbeat period; 0 for the default
     */
    @JsonCreator
    public ResourceManagerLinkConfig(@JsonProperty("url") URI url, @JsonProperty("heartbeatMillis") long heartbeatMillis) {
        this(first(url), heartbeatMillis, url);
    }

    /** Canonical form; {@code url} must be the first resource manager {@code urls} names. */
    public ResourceManagerLinkConfig {
        if (url == null || !url.equals(first(urls))) {
            throw new IllegalArgumentException("resourceManager.url " + url + " is not the first of " + urls);
        }
        if (heartbeatMillis < 0) {
            throw new IllegalArgumentException("resourceManager.heartbeatMillis must be positive, got " + heartbeatMillis);
        }
        heartbeatMillis = heartbeatMillis == 0 ? DEFAULT_HEARTBEAT_MILLIS : heartbeatMillis;
    }

    /** How many resource managers the link may talk to. */
    public int resourceManagers() {
        return ResourceManagerClient.endpoints(urls).size();
    }

    private static URI first(URI urls) {
        if (urls == null) {
            throw new IllegalArgumentException("resourceManager.url must be an http(s) URL with a host, got null");
        }
        List<URI> all;
        try {
            all = ResourceManagerClient.endpoints(urls);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("resourceManager.url must be an http(s) URL with a host (or several: "
                    + "http://rm1:8090,rm2:8090), got " + urls + ": " + e.getMessage());
        }
        return all.getFirst();
    }
}
